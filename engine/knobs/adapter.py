"""Adapter & quantization knobs: train all weights, or a small LoRA adapter over a (quantized) frozen base."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.ADAPTER


class AdapterKnobs(BaseModel):
    adapter: Literal["lora", "qlora"] | None = knob(
        None, section=S, basic=True,
        summary="Train a LoRA adapter (lora) or a LoRA over a 4-bit base (qlora); empty trains every weight.",
    )
    load_in_8bit: bool = knob(
        False, section=S,
        summary="Load the frozen base model in 8-bit (bitsandbytes); needs an adapter.",
    )
    load_in_4bit: bool = knob(
        False, section=S, basic=True,
        summary="Load the frozen base model in 4-bit NF4 (bitsandbytes); needed by qlora.",
    )
    lora_r: int = knob(
        8, section=S, basic=True, ge=1,
        summary="Rank of the LoRA update matrices: the adapter's capacity.",
    )
    lora_alpha: float = knob(
        16, section=S, gt=0,
        summary="LoRA scaling: the update is multiplied by lora_alpha / lora_r.",
    )
    lora_dropout: float = knob(
        0.0, section=S, ge=0, lt=1,
        summary="Dropout on the LoRA path during training.",
    )
    lora_target_modules: list[str] | None = knob(
        None, section=S,
        summary="Names of the linear layers that get adapters, e.g. q_proj, v_proj.",
    )
    lora_target_linear: bool = knob(
        False, section=S,
        summary="Put adapters on every linear layer (except the output head).",
    )
