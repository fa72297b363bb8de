"""What the memory estimate needs to know about a run, in one plain dataclass (no pydantic, no torch).

``engine.estimate.from_preset`` builds it from a preset; the bench and the tests build it directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from .shapes import Linear, ModelShape

Dtype = Literal["bf16", "fp16", "fp32"]
BYTES: dict[str, int] = {"bf16": 2, "fp16": 2, "fp32": 4}

# peft's default target_modules per model_type (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING); it has
# none for Phi-3, where peft refuses an empty target_modules.
PEFT_DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {"phi3": ()}
PEFT_DEFAULT = ("q_proj", "v_proj")


@dataclass(frozen=True)
class Sharding:
    """How a distributed run splits state: ZeRO stage 0–3 (FSDP full shard = 3, shard grad/optimizer = 2)."""

    stage: int = 0
    offload_optimizer: bool = False
    offload_params: bool = False
    name: str = "none"  # "deepspeed ZeRO-3", "FSDP full shard", … for messages


@dataclass(frozen=True)
class Setup:
    shape: ModelShape
    micro_batch: int = 1
    sequence_len: int = 2048
    adapter: Literal["lora", "qlora"] | None = None
    quant_bits: Literal[4, 8] | None = None
    lora_r: int = 8
    lora_targets: tuple[str, ...] | str | None = None  # names, a regex, "all-linear", None = peft's default
    lora_parameters: tuple[str, ...] = ()  # lora_target_parameters: tensors by name or dotted ending
    lora_dropout: float = 0.0
    weights: Dtype = "bf16"  # the dtype the base loads in (engine.train.hardware.Precision.dtype_name)
    mixed: Dtype = "bf16"  # autocast compute dtype ("fp32" when no mixed precision)
    optimizer: str = "adamw_torch"
    gradient_checkpointing: bool = False
    activation_offload: Literal["cpu", "disk"] | None = None  # where checkpointed inputs wait (None: GPU)
    attn: str = "sdpa"
    processes: int = 1
    sharding: Sharding = field(default_factory=Sharding)
    preference: bool = False  # DPO-style: chosen + rejected sequences, a reference model
    # Whether a frozen reference model runs too (None: as preference says). ORPO and SimPO pair rows without one;
    # KTO has one but single rows.
    reference_model: bool | None = None
    # The length a micro batch is padded to when the data was counted and is not packed: its longest row. None:
    # unknown, packed or padded to sequence_len, so every batch is sequence_len long.
    longest_row: int | None = None

    def but(self, **changes: object) -> Setup:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def batch_len(self) -> int:
        """The tokens per row a micro batch holds at most: the longest row, capped at sequence_len."""
        return min(self.longest_row or self.sequence_len, self.sequence_len)

    def at_batch_len(self) -> Setup:
        """This setup with sequence_len shortened to the batch length (what activations see)."""
        return self.but(sequence_len=self.batch_len, longest_row=None)

    @property
    def has_reference(self) -> bool:
        return self.preference if self.reference_model is None else self.reference_model

    @property
    def sequences_per_row(self) -> int:
        """2 when each row is a pair whose chosen and rejected sequences run in one batch (preference tuning, a
        reward model), else 1."""
        return 2 if self.preference or self.shape.score_head else 1

    @property
    def tokens(self) -> int:
        """Tokens in one micro batch at its longest (every row filled or padded to sequence_len)."""
        return self.micro_batch * self.sequence_len * self.sequences_per_row

    @property
    def quantized(self) -> bool:
        return self.adapter is not None and self.quant_bits is not None

    def lora_targets_in_layer(self, layer: int = 0) -> list[Linear]:
        """The linear layers of decoder layer ``layer`` that get a LoRA adapter (none for a full fine-tune).

        As peft matches them: a list entry matches a module name or its dotted ending, a single string is a regex
        that must match the full name (``model.layers.N.self_attn.q_proj``), all-linear is every linear layer
        but the LM head.
        """
        if self.adapter is None:
            return []
        linears = self.shape.linears()
        targets = self.lora_targets
        if targets is None and self.lora_parameters:
            return []  # engine.train.model passes no layers then, so peft adds no default ones
        if targets is None:
            targets = PEFT_DEFAULT_TARGETS.get(self.shape.model_type, PEFT_DEFAULT)
        if targets == "all-linear":
            return linears
        if isinstance(targets, str):
            pattern = re.compile(targets)
            return [lin for lin in linears if pattern.fullmatch(f"model.layers.{layer}.{lin.path}")]
        return [lin for lin in linears if any(f".{lin.path}".endswith(f".{t}") for t in targets)]

    def lora_parameters_in_layer(self, layer: int = 0) -> list[Linear]:
        """The linear layers of decoder layer ``layer`` whose weight lora_target_parameters names, matched as peft
        matches (the full name, model.layers.N.self_attn.q_proj.weight, or its dotted ending). A 2-D weight gets
        an A (r × in) and a B (out × r), as a LoRA on the layer would. Tensors outside the decoder layers' linears
        are not counted (MoE expert stacks never reach here: their shapes are not described)."""
        if self.adapter is None:
            return []
        return [lin for lin in self.shape.linears()
                if any(f"model.layers.{layer}.{lin.path}.weight" == t
                       or f"model.layers.{layer}.{lin.path}.weight".endswith(f".{t}") for t in self.lora_parameters)]

    def lora_modules(self) -> list[Linear]:
        """Every adapted linear layer of the model, layer by layer (by lora_target_modules or by its weight's name
        in lora_target_parameters)."""
        return [lin for n in range(self.shape.layers)
                for lin in self.lora_targets_in_layer(n) + self.lora_parameters_in_layer(n)]
