"""Sequence & batching knobs: how many tokens go through the model at once, and how often it steps."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.SEQUENCE


class BatchingKnobs(BaseModel):
    sequence_len: int = knob(
        512, section=S, basic=True, ge=8,
        summary="The longest sample, in tokens, the model trains on.",
    )
    excess_length_strategy: Literal["drop", "truncate"] = knob(
        "drop", section=S,
        summary="What to do with rows longer than sequence_len: drop them or truncate them.",
    )
    sample_packing: bool = knob(
        False, section=S, basic=True,
        summary="Pack several short rows into one sequence_len sample (attention kept apart) to waste no padding.",
    )
    pad_to_sequence_len: bool = knob(
        False, section=S,
        summary="Pad every batch to sequence_len, for steady memory use.",
    )
    micro_batch_size: int = knob(
        1, section=S, basic=True, ge=1,
        summary="Samples per forward/backward pass on each GPU.",
    )
    gradient_accumulation_steps: int = knob(
        1, section=S, basic=True, ge=1,
        summary="Micro batches whose gradients are summed before each optimizer step.",
    )
    eval_batch_size: int | None = knob(
        None, section=S, ge=1,
        summary="Samples per evaluation pass on each GPU (default: micro_batch_size).",
    )
    gradient_checkpointing: bool = knob(
        False, section=S,
        summary="Recompute activations in the backward pass instead of storing them: less memory, ~30% slower.",
    )
