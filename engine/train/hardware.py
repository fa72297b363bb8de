"""Precision from the hardware: which of bf16 / fp16 / tf32 a run really uses, and combinations we refuse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.machine import cpu_refusals

from .failures import knob_error

if TYPE_CHECKING:
    from engine.knobs.config import Config


@dataclass(frozen=True)
class Precision:
    device: str  # "cuda" or "cpu"
    bf16: bool
    fp16: bool
    tf32: bool | None  # None: leave torch's default (TrainingArguments rejects tf32 without an Ampere GPU)
    dtype_name: str  # dtype the base weights load in: "float32", "bfloat16" or "float16"

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype_name)


def resolve_precision(cfg: Config, *, cuda: bool | None = None, bf16_supported: bool | None = None) -> Precision:
    """What the run trains in. ``cuda`` / ``bf16_supported`` default to asking torch (tests pass them)."""
    if cuda is None or bf16_supported is None:
        import torch

        cuda = torch.cuda.is_available() if cuda is None else cuda
        bf16_supported = (cuda and torch.cuda.is_bf16_supported()) if bf16_supported is None else bf16_supported

    if cfg.bf16 is True and cfg.fp16:
        raise knob_error("fp16", "bf16 and fp16 are both true: pick one precision (bf16 where the GPU supports it).")
    if not cuda:
        refused = next(cpu_refusals(cfg), None)
        if refused is not None:
            raise knob_error(*refused)
        return Precision("cpu", bf16=False, fp16=False, tf32=None, dtype_name="float32")

    if cfg.bf16 is True and not bf16_supported:
        raise knob_error(
            "bf16", "bf16: true, but this GPU does not support bfloat16 (it needs Ampere or newer). "
            "Set bf16: auto, or fp16: true for mixed precision on this GPU."
        )
    bf16 = bool(bf16_supported) if cfg.bf16 == "auto" and not cfg.fp16 else cfg.bf16 is True
    fp16 = bool(cfg.fp16)
    if bf16:
        dtype = "bfloat16"
    elif fp16 and cfg.adapter:
        dtype = "float16"  # frozen base in fp16; peft keeps the adapter in fp32 for the loss scaler
    else:
        dtype = "float32"  # fp16 mixed precision needs fp32 master weights to unscale gradients
    return Precision("cuda", bf16=bf16, fp16=fp16, tf32=True if cfg.tf32 else None, dtype_name=dtype)
