"""The whole answer for one preset: memory band and parts, the fit verdict, time, and suggestions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from engine import derive

from .gpus import Gpu, detect_gpu, parse_gpu
from .memory import MemoryEstimate, estimate_memory
from .setup import Setup
from .suggest import Suggestion, suggestions
from .timing import TimeEstimate, estimate_time


@dataclass(frozen=True)
class Report:
    setup: Setup
    memory: MemoryEstimate
    gpu: Gpu | None  # None: no target GPU named and none detected
    time: TimeEstimate | None
    suggestions: list[Suggestion] = field(default_factory=list)
    time_note: str = ""  # why there is no time estimate

    @property
    def fits(self) -> bool | None:
        return None if self.gpu is None else self.memory.expected <= self.gpu.memory_gib

    def to_json(self) -> dict[str, Any]:
        m = self.memory
        return {
            "model": self.setup.shape.source,
            "per_gpu": {"low_gib": round(m.low, 3), "expected_gib": round(m.expected, 3), "high_gib": round(m.high, 3),
                        "parts": {k: round(v, 3) for k, v in m.parts.items()}},
            "offloaded_gib": {k: round(v, 3) for k, v in m.offloaded.items()},
            "trainable_params": m.trainable_params, "total_params": m.total_params,
            "processes": self.setup.processes,
            "activation_length": {"tokens": self.setup.batch_len, "from": batch_len_source(self.setup)},
            "gpu": self.gpu.name if self.gpu else None,
            "gpu_memory_gib": self.gpu.memory_gib if self.gpu else None,
            "fits": self.fits,
            "time": None if self.time is None else {
                "low_s": _seconds(self.time.low_s), "high_s": _seconds(self.time.high_s), "tokens": self.time.tokens,
                "epoch_low_s": _seconds(self.time.epoch_low_s), "epoch_high_s": _seconds(self.time.epoch_high_s)},
            "time_note": self.time_note or None,
            "suggestions": [{"changes": s.changes, "text": s.text, "saved_gib": round(s.saved_gib, 3),
                             "expected_gib": round(s.expected_gib, 3)} for s in self.suggestions],
        }


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.3g}")


def target_gpu(cfg: Any, override_gib: float | None = None) -> Gpu | None:
    """--gpu-memory wins, then the preset's target_gpu, then this machine's GPU."""
    named = parse_gpu(str(cfg.target_gpu)) if getattr(cfg, "target_gpu", None) else None
    gpu = named or detect_gpu()
    if override_gib is not None:
        return Gpu(gpu.name if gpu else f"{override_gib:g} GiB GPU", override_gib, gpu.tflops if gpu else None)
    return gpu


def build_report(setup: Setup, cfg: Any, gpu: Gpu | None, tokens_per_epoch: int | None) -> Report:
    memory = estimate_memory(setup)
    time, note = None, ""
    if gpu is None:
        note = "no GPU named (target_gpu) or found on this machine"
    elif gpu.tflops is None:
        note = f"the speed of {gpu.name} is unknown: name the GPU in target_gpu (e.g. A100-80GB)"
    elif tokens_per_epoch is None and not (cfg.pretraining_dataset and cfg.max_steps):
        note = "the data's token count is unknown"
    else:  # a stream (pretraining_dataset) has no count: max_steps full blocks are the run
        time = estimate_time(setup, gpu, tokens_per_epoch or 0, float(cfg.num_epochs), cfg.max_steps,
                             derive.tokens_per_step(cfg))
    advice = suggestions(setup, cfg, gpu.memory_gib) if gpu else []
    return Report(setup, memory, gpu, time, advice, note)


def batch_len_source(setup: Setup) -> str:
    """What the activations' row length is: "longest row" (counted data, not packed) or "sequence_len"."""
    return "longest row" if setup.batch_len < setup.sequence_len else "sequence_len"


def with_data(setup: Setup, cfg: Any, stats: dict[str, Any] | None) -> Setup:
    """The setup with the data's longest row when batches are padded to it: counted, not packed, not padded to
    sequence_len (then every batch is sequence_len long)."""
    longest = (stats or {}).get("longest_row")
    if cfg.sample_packing or cfg.pad_to_sequence_len or not isinstance(longest, int) or longest <= 0:
        return setup
    return setup.but(longest_row=longest)


def tokens_per_epoch(cfg: Any, stats: dict[str, Any]) -> int | None:
    """Tokens the GPUs compute per epoch from the data's real counts: packed samples are full sequence_len rows;
    unpacked rows count their own tokens (padding to the batch's longest row comes on top)."""
    if cfg.sample_packing and stats.get("packed_sequences") is not None:
        return int(stats["packed_sequences"]) * int(cfg.sequence_len)
    tokens, rows, train = stats.get("tokens"), stats.get("rows"), stats.get("train_rows")
    if tokens is None:
        return None
    if rows and train is not None:
        return int(tokens * train / rows)
    return int(tokens)


def report_for(cfg: Any, preset_path: str | os.PathLike[str] | None, *, gpu_memory_gib: float | None = None,
               data_stats: dict[str, Any] | None = None, download: bool = False) -> Report:
    from .from_preset import setup_from_config

    setup = with_data(setup_from_config(cfg, preset_path, download=download), cfg, data_stats)
    tokens = tokens_per_epoch(cfg, data_stats) if data_stats else None
    return build_report(setup, cfg, target_gpu(cfg, gpu_memory_gib), tokens)
