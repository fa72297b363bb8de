"""Evaluation & saving knobs: held-out data, how often to measure it, and checkpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.EVALUATION

Strategy = Literal["no", "steps", "epoch"]


class EvaluationKnobs(BaseModel):
    val_set_size: float = knob(
        0.0, section=S, basic=True, ge=0,
        summary="Held-out validation data: a fraction (< 1) or a row count (>= 1); 0 means none.",
    )
    eval_strategy: Strategy | None = knob(
        None, section=S,
        summary="When to evaluate: no, steps or epoch (default: from eval_steps / evals_per_epoch).",
    )
    eval_steps: float | None = knob(
        None, section=S, gt=0,
        summary="Evaluate every N optimizer steps (a value < 1 is a fraction of all steps).",
    )
    evals_per_epoch: int | None = knob(
        None, section=S, ge=1,
        summary="Evaluate this many times per epoch (instead of eval_steps).",
    )
    output_dir: str = knob(
        "./model-out", section=S, basic=True,
        summary="Folder for checkpoints, the final model or adapter, and tunedeck's run folders.",
    )
    save_strategy: Strategy | Literal["best"] | None = knob(
        None, section=S,
        summary="When to save checkpoints: no, steps, epoch or best (default: from save_steps / saves_per_epoch).",
    )
    save_steps: float | None = knob(
        None, section=S, gt=0,
        summary="Save a checkpoint every N optimizer steps (a value < 1 is a fraction of all steps).",
    )
    saves_per_epoch: int | None = knob(
        None, section=S, ge=1,
        summary="Save this many checkpoints per epoch (instead of save_steps).",
    )
    save_total_limit: int | None = knob(
        None, section=S, ge=1,
        summary="Keep at most this many checkpoints; older ones are deleted.",
    )
    logging_steps: int = knob(
        1, section=S, ge=1,
        summary="Log loss and learning rate every N optimizer steps.",
    )
    resume_from_checkpoint: str | None = knob(
        None, section=S,
        summary="A checkpoint folder to resume training from.",
    )
    auto_resume_from_checkpoints: bool = knob(
        False, section=S,
        summary="Resume from the newest checkpoint in output_dir when one exists.",
    )
