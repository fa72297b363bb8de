"""Turning what went wrong into one paragraph for people, with the culprit knob when we know it."""

from __future__ import annotations

from pathlib import Path

from engine.errors import TunedeckError


def knob_error(key: str, message: str) -> TunedeckError:
    """A TunedeckError that names the knob to change (shown beside the message in the run screen)."""
    err = TunedeckError(message)
    err.key = key  # type: ignore[attr-defined]
    return err


def _is_oom(err: BaseException) -> bool:
    text = str(err).lower()
    if type(err).__name__ == "OutOfMemoryError":
        return True
    return isinstance(err, (RuntimeError, MemoryError)) and (
        "out of memory" in text or "can't allocate memory" in text or isinstance(err, MemoryError)
    )


def describe(err: BaseException) -> tuple[str, str | None]:
    """(message, key) for the error event: known errors in plain words, others as their first line."""
    if isinstance(err, TunedeckError):
        return str(err), getattr(err, "key", None)
    if _is_oom(err):
        return (
            "The run ran out of memory. Lower micro_batch_size (raise gradient_accumulation_steps to keep the "
            "effective batch), shorten sequence_len, turn on gradient_checkpointing, or load the model in 4-bit "
            f"(adapter: qlora). ({type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''})",
            "micro_batch_size",
        )
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
    """The last lines of train.log, tqdm's carriage-return redraws collapsed to their final state."""
    try:
        data = log_path.read_bytes()[-20000:].decode("utf-8", "replace")
    except OSError:
        return ""
    cleaned = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in data.split("\n")]
    return "\n".join([line for line in cleaned if line.strip()][-lines:])
