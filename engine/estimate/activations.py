"""Activation memory: what autograd keeps per token for the backward pass, and the logits.

Counted from what each op of a transformers decoder layer saves (e = bytes of the compute dtype):

* RMSNorm upcasts its input to fp32 and keeps it (4·h per norm); with trained norm weights also its e·h output.
* Attention (sdpa, flash, flex) keeps q, k, v and its output (e·(q + 2·kv + q)) and an fp32 log-sum-exp per head;
  eager instead keeps k and v repeated to every head and the probabilities of every pair of tokens, once in fp32
  (softmax) and once in the compute dtype: (4 + e)·heads·sequence_len per token.
* The MLP keeps its gate and up outputs and the activation's output (3·e·intermediate).
* A linear layer keeps its input only when its weight trains (autograd saves what a required gradient needs): the
  normed input of q/k/v and of gate/up, o's input, down's input. Each LoRA module adds its A output (e·r); with
  fp32 LoRA weights over a 16-bit base (plain LoRA) peft casts the input up and autocast back down, a fresh copy
  (e·in) per module; lora_dropout > 0 also makes a copy plus a one-byte mask. A weight adapted through
  lora_target_parameters keeps its layer's input too, but no A output: peft builds W + B·A once per forward
  instead, a weight-sized tensor per layer that this per-token count leaves out (an approximation).
* Gradient checkpointing keeps only each layer's input (e·h) and recomputes one layer at a time in the backward.
* The LM head's logits: transformers' loss upcasts them to fp32 and log-softmax keeps an fp32 copy; at the start
  of the backward the saved log-probabilities, their gradient and the logits' gradient are alive together, all
  fp32: 12 bytes per token and vocabulary entry. (Unsloth's published formula leaves out these and the
  checkpointed inputs, which is why it falls short on long contexts.) A reward model computes no vocabulary: its
  score head puts out one number per token in the compute dtype (the loss reads the last token's), e bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .setup import BYTES, Setup

LOGITS_BYTES = 12


@dataclass(frozen=True)
class Activations:
    """Peak activation bytes on one GPU, by part."""

    layers: float  # saved activations of the layers (or their checkpointed inputs) at the peak
    recompute: float  # one recomputed layer plus its backward working set (checkpointing only; else 0)
    logits: float


def layer_bytes_per_token(setup: Setup) -> float:
    """Bytes one decoder layer keeps for the backward pass, per token."""
    s = setup.shape
    e = BYTES[setup.mixed]
    h, i, q, kv = s.hidden, s.intermediate, s.heads * s.head_dim, s.kv_heads * s.head_dim
    norms = 4 if s.family.sandwich_norms else 2
    full = setup.adapter is None
    total = norms * 4 * h + (norms * e * h if full else 0)
    if s.family.qk_norm:
        total += 4 * (q + kv)
    if setup.attn == "eager":
        total += e * 3 * q + (4 + (e if e != 4 else 0)) * s.heads * setup.sequence_len * setup.sequences_per_row
    else:
        total += e * (2 * q + 2 * kv) + 4 * s.heads
    total += 3 * e * i

    lora = {lin.name for lin in setup.lora_targets_in_layer() + setup.lora_parameters_in_layer()}
    trained = {lin.name for lin in s.linears()} if full else lora
    if trained & {"q_proj", "k_proj", "v_proj", "qkv_proj"}:
        total += e * h
    if "o_proj" in trained:
        total += e * q
    if trained & {"gate_proj", "up_proj", "gate_up_proj"}:
        total += e * h
    if "down_proj" in trained:
        total += e * i
    if not full:
        dropout = setup.lora_dropout > 0
        for lin in setup.lora_targets_in_layer():
            copies = _cast_copy(setup, lin.name) + dropout
            total += e * setup.lora_r + copies * e * lin.fan_in + (lin.fan_in if dropout else 0)
    return total


def _cast_copy(setup: Setup, name: str) -> bool:
    """Whether a LoRA module keeps its own 16-bit copy of its input: fp32 LoRA weights over a 16-bit base (plain
    LoRA), or, under QLoRA, inputs that come out of the fp32 norms (q/k/v, gate/up) while the adapter is 16-bit."""
    if BYTES[setup.mixed] == 4:
        return False
    if not setup.quantized:
        return True
    return name not in ("o_proj", "down_proj")


def backward_working_set_per_token(setup: Setup) -> float:
    """Gradients alive while one layer runs its backward: the MLP's three intermediate gradients and two of
    the hidden size (the incoming gradient and the one being formed)."""
    e = BYTES[setup.mixed]
    return e * (3 * setup.shape.intermediate + 2 * setup.shape.hidden)


def activations(setup: Setup) -> Activations:
    s = setup.shape
    tokens = setup.tokens
    e = BYTES[setup.mixed]
    layer = layer_bytes_per_token(setup) * tokens
    work = backward_working_set_per_token(setup) * tokens
    logits = (e if s.score_head else LOGITS_BYTES) * s.outputs_per_token * tokens
    final_norm = 4 * s.hidden * tokens
    if setup.gradient_checkpointing:
        # The logits' buffers are freed before the last layer is recomputed, but they stay in PyTorch's cache as
        # three vocabulary-sized blocks; published peaks (see tests/test_estimate_published.py) follow the sum of
        # the two, not the larger, so the sum is what a GPU must hold.
        return Activations(e * s.hidden * tokens * s.layers + final_norm, layer + work, logits)
    return Activations(layer * s.layers + final_norm, 0.0, logits)
