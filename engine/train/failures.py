"""Turning what went wrong into one paragraph for people, with the culprit knob when we know it."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.errors import TunedeckError
from engine.runs import folder, space
from engine.runs.log_tail import tail_lines

# Free space below which a failed write counts as a full disk: torch's checkpoint writer reports one only as
# "unexpected pos …", without the errno.
NEARLY_FULL_BYTES = space.RESERVE_BYTES


def knob_error(key: str, message: str) -> TunedeckError:
    """A TunedeckError that names the knob to change (shown beside the message in the run screen)."""
    return TunedeckError(message, key=key)


def _is_oom(err: BaseException) -> bool:
    text = str(err).lower()
    if type(err).__name__ == "OutOfMemoryError":
        return True
    return isinstance(err, (RuntimeError, MemoryError)) and (
        "out of memory" in text or "can't allocate memory" in text or isinstance(err, MemoryError)
    )


def _causes(err: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):  # the folder may be gone or never made
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def disk_full_message(err: BaseException, run_dir: Path | None) -> str | None:
    """One paragraph when ``err`` comes from a full disk (an ENOSPC/EDQUOT anywhere in its chain, or a write that
    failed on a disk with next to no room left), naming where; None otherwise."""
    output_dir = folder.read_state(run_dir).get("output_dir") if run_dir is not None else None
    where = Path(output_dir or run_dir or ".")
    failed = next((e for e in _causes(err) if space.disk_full(e)), None)
    free = _free_bytes(where)
    if failed is None and not (isinstance(err, (OSError, RuntimeError)) and free is not None
                               and free < NEARLY_FULL_BYTES):
        return None
    named = getattr(failed, "filename", None)
    first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    return (
        f"The disk is full: writing {named or f'under {where}'} failed"
        f"{f' ({free // 1024:,} kB left on the disk that holds {where})' if free is not None else ''}, so the "
        "checkpoint or model being saved there is incomplete. Free space on that disk (old checkpoints, other runs' "
        "outputs), lower save_total_limit to keep fewer checkpoints, or set output_dir to a bigger disk; then "
        f"launch again. ({type(err).__name__}: {first})"
    )


def describe(err: BaseException, run_dir: Path | None = None) -> tuple[str, str | None]:
    """(message, key) for the error event: known errors in plain words, others as their first line.
    ``run_dir``: the run's folder, to say where a full disk is."""
    if isinstance(err, TunedeckError):
        return str(err), err.key
    if _is_oom(err):
        return (
            "The run ran out of memory. Lower micro_batch_size (raise gradient_accumulation_steps to keep the "
            "effective batch), shorten sequence_len, turn on gradient_checkpointing, or load the model in 4-bit "
            f"(adapter: qlora). ({type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''})",
            "micro_batch_size",
        )
    full = disk_full_message(err, run_dir)
    if full is not None:
        return full, "output_dir"
    if type(err).__module__.startswith("huggingface_hub"):
        return (
            f"The Hugging Face Hub refused or could not be reached ({type(err).__name__}: "
            f"{str(err).strip().splitlines()[0][:300] if str(err).strip() else ''}). Check hub_model_id, that "
            "HF_TOKEN holds a token with write access, and the network; or clear hub_model_id to train without "
            "pushing.",
            "hub_model_id",
        )
    first = str(err).strip().splitlines()[0][:500] if str(err).strip() else ""
    return (
        f"Training failed: {type(err).__name__}: {first} (the full traceback is in train.log).",
        None,
    )


def log_tail(log_path: Path, lines: int = 30) -> str:
    """The last lines of train.log as a terminal shows them (tqdm's redraws collapsed), for the error event."""
    return "\n".join(tail_lines(log_path, lines, max_bytes=20_000))
