"""What to change when the estimate does not fit: each change re-estimated, ranked by the memory it saves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .memory import estimate_memory
from .setup import Setup, Sharding


@dataclass(frozen=True)
class Suggestion:
    changes: dict[str, Any]  # knob → value, as the preset would hold them
    text: str  # what it changes, in a sentence
    saved_gib: float
    expected_gib: float  # the estimate after the change


def _candidates(setup: Setup, cfg: Any) -> list[tuple[dict[str, Any], str, Setup]]:
    out: list[tuple[dict[str, Any], str, Setup]] = []
    if not setup.gradient_checkpointing:
        out.append(({"gradient_checkpointing": True}, ("turn on gradient checkpointing: keeps only each layer's "
                    "input and recomputes the rest in the backward (about a third slower)"),
                    setup.but(gradient_checkpointing=True)))
    if setup.micro_batch > 1:
        micro = setup.micro_batch // 2
        accum = int(cfg.gradient_accumulation_steps) * setup.micro_batch // micro
        out.append(({"micro_batch_size": micro, "gradient_accumulation_steps": accum},
                    (f"micro_batch_size {micro} with gradient_accumulation_steps {accum}: half the activations, "
                     "the same effective batch"), setup.but(micro_batch=micro)))
    if setup.adapter is None or not setup.quantized:
        lora = {} if setup.adapter else {"lora_target_linear": True}
        out.append(({"adapter": "qlora", "load_in_4bit": True, "load_in_8bit": False, **lora},
                    ("QLoRA: the frozen base in 4-bit with a LoRA adapter (a full fine-tune becomes an adapter "
                     "run)"), setup.but(adapter="qlora", quant_bits=4,
                                      lora_targets=setup.lora_targets if setup.adapter else "all-linear")))
    if setup.optimizer in ("adamw_torch", "adamw_torch_fused", "paged_adamw_32bit", "ademamix", "lion_32bit"):
        name = "paged_adamw_8bit"
        out.append(({"optimizer": name}, ("optimizer paged_adamw_8bit: optimizer states in 8 bits, spilling to "
                    "CPU memory under pressure"), setup.but(optimizer=name)))
    if setup.sequence_len >= 512:
        half = setup.sequence_len // 2
        out.append(({"sequence_len": half}, (f"sequence_len {half}: half the activations; longer rows are cut "
                    "or dropped (excess_length_strategy)"), setup.but(sequence_len=half)))
    if setup.processes > 1 and setup.sharding.stage < 3:
        out.append(({"fsdp_config": {"fsdp_version": 2, "reshard_after_forward": True}},
                    (f"FSDP full shard over the {setup.processes} processes: weights, gradients and "
                     "optimizer states split between the GPUs"),
                    setup.but(sharding=Sharding(3, name="FSDP full shard"))))
    return out


def suggestions(setup: Setup, cfg: Any, budget_gib: float) -> list[Suggestion]:
    """Changes that lower the estimate, most memory saved first; [] when it already fits."""
    base = estimate_memory(setup).expected
    if base <= budget_gib:
        return []
    ranked = []
    for changes, text, changed in _candidates(setup, cfg):
        after = estimate_memory(changed).expected
        if after < base:
            ranked.append(Suggestion(changes, text, base - after, after))
    return sorted(ranked, key=lambda s: -s.saved_gib)
