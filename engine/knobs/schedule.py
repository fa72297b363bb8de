"""Schedule & optimizer knobs: how long to train and how each optimizer step moves the weights."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.SCHEDULE

Optimizer = Literal[
    "adamw_torch", "adamw_torch_fused", "adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit", "paged_adamw_32bit",
    "adafactor", "sgd", "lion_8bit", "paged_lion_8bit",
]
Scheduler = Literal[
    "cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "warmup_stable_decay",
]


class ScheduleKnobs(BaseModel):
    num_epochs: float = knob(
        1, section=S, basic=True, gt=0,
        summary="How many times training passes over the whole dataset.",
    )
    max_steps: int | None = knob(
        None, section=S, ge=1,
        summary="Stop after this many optimizer steps (overrides num_epochs).",
    )
    learning_rate: float = knob(
        2e-4, section=S, basic=True, gt=0,
        summary="Peak step size of the optimizer.",
    )
    optimizer: Optimizer = knob(
        "adamw_torch", section=S,
        summary="The optimizer algorithm.",
    )
    lr_scheduler: Scheduler = knob(
        "cosine", section=S,
        summary="How the learning rate changes over training after warmup.",
    )
    warmup_steps: int | None = knob(
        None, section=S, ge=0,
        summary="Optimizer steps over which the learning rate ramps up from 0.",
    )
    warmup_ratio: float | None = knob(
        None, section=S, ge=0, lt=1,
        summary="Warmup as a fraction of all optimizer steps (instead of warmup_steps).",
    )
    weight_decay: float = knob(
        0.0, section=S, ge=0,
        summary="Pulls weights toward zero each step (regularisation).",
    )
    max_grad_norm: float | None = knob(
        1.0, section=S, ge=0,
        summary="Clip the gradient's norm to this before each step (0 or empty: no clipping).",
    )
    neftune_noise_alpha: float | None = knob(
        None, section=S, gt=0,
        summary="NEFTune: add noise of this scale to input embeddings while training.",
    )
    seed: int = knob(
        42, section=S,
        summary="Random seed for data shuffling, the validation split and weight init of new layers.",
    )
