"""Weights, gradients and optimizer states: exact byte counts from the model's tensors.

How the stack stores them (read from the code tunedeck runs):

* The base loads in ``Setup.weights``. bitsandbytes NF4 (``bnb_4bit_use_double_quant=True``, as engine.train.model
  asks) packs two weights per byte and keeps one absmax per 64-weight block, itself quantized to 8 bits with one
  fp32 scale per 256 blocks: 0.5 + 1/64 + 4/(64·256) bytes per weight. LLM.int8 keeps one byte per weight and one
  fp32 scale per output row. Only the decoder layers' linears are quantized; embeddings, the LM head and norms stay.
* peft's ``prepare_model_for_kbit_training`` upcasts those unquantized tensors to fp32; under bf16 trl casts
  embeddings/LM head back to bf16 and the LoRA weights to bf16 (QLoRA's recipe), norms stay fp32.
* Without quantization peft creates LoRA weights in fp32 (``autocast_adapter_dtype``), whatever the base dtype.
* Gradients have their parameter's dtype. torch's AdamW keeps two states of the parameter's dtype; bitsandbytes'
  8-bit optimizers keep uint8 states with one fp32 absmax per 256-element block, but tensors under 4096 elements
  in 32 bits; its 32-bit ones keep fp32 states; torchao's 4-/8-bit AdamW half or one byte per state; Lion one
  state, AdEMAMix three; transformers' Adafactor (no momentum) one fp32 row and one column per matrix; plain SGD
  (momentum 0) none; muon (engine.train.muon) one momentum buffer per hidden-matrix weight (LoRA's A and B, or the
  decoder layers' linear weights) and AdamW's two for the rest (embeddings, LM head, norms, biases).
"""

from __future__ import annotations

from dataclasses import dataclass

from .setup import BYTES, Setup

NF4_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)
BNB_MIN_8BIT = 4096
BNB_BLOCK = 256

Tensor = tuple[int, ...]


@dataclass(frozen=True)
class States:
    """Bytes on one GPU before sharding, and how many parameters train."""

    weights: float
    trainable_weights: float  # bytes of the trained parameters' own values (part of weights)
    gradients: float
    optimizer: float
    trainable_params: int
    total_params: int


def trainable_tensors(setup: Setup) -> list[Tensor]:
    """Shapes of the trained tensors: LoRA's A (r × in) and B (out × r), or every tensor of the model. A reward
    model's score head (1 × hidden) replaces the LM head; under LoRA peft (task SEQ_CLS) trains a copy of it beside
    the frozen original (modules_to_save)."""
    if setup.adapter is not None:
        out: list[Tensor] = []
        for lin in setup.lora_modules():
            out += [(setup.lora_r, lin.fan_in), (lin.fan_out, setup.lora_r)]
        return out + ([(1, setup.shape.hidden)] if setup.shape.score_head else [])
    s = setup.shape
    per_layer: list[Tensor] = []
    for lin in s.linears():
        per_layer.append((lin.fan_out, lin.fan_in))
        if lin.bias:
            per_layer.append((lin.fan_out,))
    per_layer += [(s.hidden,)] * (4 if s.family.sandwich_norms else 2)
    if s.family.qk_norm:
        per_layer += [(s.head_dim,), (s.head_dim,)]
    tensors = per_layer * s.layers + [(s.vocab, s.hidden), (s.hidden,)]
    if s.score_head:
        tensors.append((1, s.hidden))
    elif not s.tied_embeddings:
        tensors.append((s.vocab, s.hidden))
    return tensors


def numel(t: Tensor) -> int:
    n = 1
    for d in t:
        n *= d
    return n


def trainable_dtype_bytes(setup: Setup) -> int:
    if setup.adapter is None:
        return BYTES[setup.weights]
    if setup.quantized and setup.mixed == "bf16":
        return 2
    return 4


def muon_weights(setup: Setup) -> int:
    """Trained weights that muon gives to Muon: every LoRA matrix, or the decoder layers' linear weights."""
    if setup.adapter is not None:
        return sum(numel(t) for t in trainable_tensors(setup))
    return setup.shape.layers * sum(lin.fan_in * lin.fan_out for lin in setup.shape.linears())


def optimizer_bytes(name: str, tensors: list[Tensor], param_bytes: int, muon: int = 0) -> float:
    """Bytes of optimizer state for these tensors; ``muon``: how many of their weights Muon takes."""
    def per_state(bits8: float, bits32: float) -> float:  # bitsandbytes: small tensors stay 32-bit
        return sum(numel(t) * (bits8 + 4 / BNB_BLOCK) if numel(t) >= BNB_MIN_8BIT else numel(t) * bits32
                   for t in tensors)

    total = sum(numel(t) for t in tensors)
    if name in ("adamw_torch", "adamw_torch_fused"):
        return 2 * total * param_bytes
    if name in ("paged_adamw_32bit",):
        return 2 * total * 4
    if name in ("adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit"):
        return 2 * per_state(1, 4)
    if name == "adamw_torch_8bit":
        return 2 * total * 1
    if name == "adamw_torch_4bit":
        return 2 * total * 0.5
    if name in ("ademamix", "paged_ademamix_32bit"):
        return 3 * total * (param_bytes if name == "ademamix" else 4)
    if name in ("ademamix_8bit", "paged_ademamix_8bit"):
        return 3 * per_state(1, 4)
    if name in ("lion_32bit", "paged_lion_32bit"):
        return total * 4
    if name in ("lion_8bit", "paged_lion_8bit"):
        return per_state(1, 4)
    if name == "adafactor":
        return sum(4 * (t[0] + t[1]) if len(t) == 2 else 4 * numel(t) for t in tensors)
    if name == "sgd":
        return 0.0
    if name == "muon":
        return (2 * total - muon) * param_bytes
    return 2 * total * 4  # an optimizer not listed here: assume AdamW in fp32, the common worst case


def weight_bytes(setup: Setup) -> float:
    """The whole model's weights on one GPU (LoRA adapters included), before sharding."""
    s = setup.shape
    base: float
    if not setup.quantized:
        base = s.total_params * BYTES[setup.weights]
    else:
        linear = s.linear_params * NF4_BYTES if setup.quant_bits == 4 else \
            s.linear_params + 4 * s.layers * sum(lin.fan_out for lin in s.linears())
        emb_bytes = 2 if setup.mixed == "bf16" else 4
        norms = s.other_params - s.embedding_params - s.lm_head_params
        base = linear + (s.embedding_params + s.lm_head_params) * emb_bytes + norms * 4
    if setup.adapter is None:
        return base
    return base + sum(numel(t) for t in trainable_tensors(setup)) * trainable_dtype_bytes(setup)


def states(setup: Setup) -> States:
    tensors = trainable_tensors(setup)
    trainable = sum(numel(t) for t in tensors)
    p = trainable_dtype_bytes(setup)
    total = setup.shape.total_params + (trainable if setup.adapter else 0)
    return States(
        weights=weight_bytes(setup), trainable_weights=trainable * p, gradients=trainable * p,
        optimizer=optimizer_bytes(setup.optimizer, tensors, p, muon_weights(setup)), trainable_params=trainable,
        total_params=total,
    )
