"""``train --dry-run``'s account of what the launch would do: how many steps, what each evaluation reads (rows
of test_datasets or held out by val_set_size, batches, how often), whether it resumes (from which checkpoint,
skipping which), what it would overwrite, and how the effective batch and learning rate are derived.
The command and resolved preset are printed beside it.

Counting steps without ``max_steps`` needs the number of training rows, so the data is prepared (tokenized) here as
the run would, into the same cache, which the run then reuses. Nothing else is written, and nothing is loaded from
a model repository that would run its code (trust_remote_code): then the count is left unknown.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from engine import derive
from engine.errors import TunedeckError
from engine.runs.output_dir import StartPlan


def planned_steps(cfg: Any, preset_path: str | os.PathLike[str]) -> tuple[int | None, str]:
    """(total optimizer steps or None, how they were found or why they are unknown)."""
    total, how, _ = _counted_plan(cfg, preset_path)
    return total, how


def _counted_plan(cfg: Any, preset_path: str | os.PathLike[str]) -> tuple[int | None, str, dict[str, Any] | None]:
    """planned_steps, plus the prepared data's stats when the rows were counted."""
    if cfg.max_steps and cfg.pretraining_dataset:
        return int(cfg.max_steps), "max_steps; pretraining_dataset is streamed, so there is no epoch count", None
    if cfg.max_steps:
        return int(cfg.max_steps), "max_steps", None
    if getattr(cfg, "trust_remote_code", False):
        return None, ("unknown: counting the rows loads the tokenizer, which would run the model repository's "
                      "code (trust_remote_code)"), None
    try:
        from engine.data import prepare_datasets
        from engine.data.tokenizer import prepare_tokenizer

        prepared = prepare_datasets(cfg, prepare_tokenizer(cfg, preset_path), preset_path)
    except TunedeckError as err:
        return None, f"unknown: the data could not be prepared ({err})", None
    rows = int(prepared.stats["train_rows"])
    per_epoch = derive.steps_per_epoch(cfg, num_rows=rows)
    mixed = " (the weighted mix of datasets, by sampling_weight)" if prepared.stats.get("mixed_rows") else ""
    return (derive.total_steps(cfg, num_rows=rows), f"{rows} training rows{mixed}, {per_epoch} steps per epoch",
            dict(prepared.stats))


def evaluation_line(cfg: Any, stats: dict[str, Any], total: int | None) -> str | None:
    """How many rows each evaluation reads (from test_datasets or held out by val_set_size), in how many batches,
    and how often; None when the run has no validation rows."""
    rows = int(stats.get("eval_rows") or 0)
    if not rows:
        return None
    source = "test_datasets" if cfg.test_datasets else f"held out by val_set_size {cfg.val_set_size:g}"
    packed = stats.get("eval_packed_sequences")
    samples = int(packed) if cfg.sample_packing and packed is not None else rows
    per_epoch = derive.steps_per_epoch(cfg, num_rows=int(stats["train_rows"]))
    return f"evaluation {derive.evaluation_words(cfg, rows, samples, source, per_epoch, total)}"


def dry_run_lines(cfg: Any, preset_path: str | os.PathLike[str], plan: StartPlan) -> Sequence[str]:
    """steps / output_dir / resume / skipped / overwrites / effective batch / learning rate, one fact per line."""
    total, how, stats = _counted_plan(cfg, preset_path)
    if total is None:
        steps = f"steps {how}"
    elif plan.resume_step is not None:
        left = max(total - plan.resume_step, 0)
        steps = f"steps {total} ({how}); resuming at step {plan.resume_step}: {left} to go"
    else:
        steps = f"steps {total} ({how})"
    lines = [steps, *plan.lines()]
    if plan.resume_from is None and not cfg.resume_from_checkpoint:
        lines.insert(2, "resume no: starts at step 0")
    elif plan.resume_from is None:
        lines.insert(2, f"resume from {cfg.resume_from_checkpoint} (the preset's resume_from_checkpoint)")
    evaluation = evaluation_line(cfg, stats, total) if stats is not None else None
    if evaluation:
        lines.append(evaluation)
    lines.append(f"effective batch {derive.batch_derivation(cfg)}")
    offload = offload_line(cfg, preset_path)
    if offload:
        lines.append(offload)
    rate = derive.rate_derivation(cfg)
    if rate is not None:
        lines.append(f"learning rate {rate}")
    return lines


def offload_line(cfg: Any, preset_path: str | os.PathLike[str]) -> str | None:
    """Where activation offloading keeps the checkpointed layer inputs, and how much per process when the model's
    shape is known without downloading (None when offloading is off)."""
    from engine.knobs.batching import offload_target

    target = offload_target(cfg)
    if target is None:
        return None
    where = "CPU memory (pinned on a GPU)" if target == "cpu" else "files under the run folder's offload/ (deleted " \
        "as the backward pass reads them)"
    line = f"activation offloading {target}: each layer's checkpointed input waits in {where}, not on the GPU"
    try:
        from engine.estimate.from_preset import setup_from_config
        from engine.estimate.memory import estimate_memory

        moved = estimate_memory(setup_from_config(cfg, preset_path)).offloaded.get(target)
    except TunedeckError:
        return line
    from engine.estimate.sizes import size_text

    return f"{line}: about {size_text(moved)} per process at sequence_len" if moved else line
