"""How long training takes: tokens × FLOPs per token ÷ (the GPUs' peak × a utilisation band).

FLOPs per token follow the usual count: a forward pass costs two FLOPs per weight per token (the LM head included,
or a reward model's one-output score head) plus causal attention, 2·sequence_len·heads·head_dim per layer (a token
attends to half the sequence on average, QKᵀ and AV); the backward costs the forward again for the inputs'
gradients and once more for the weights' gradients when every weight trains (a LoRA adapter's are negligible);
gradient checkpointing repeats the forward.
Real training reaches a fraction of the datasheet peak (model FLOPs utilisation): 25–50% is what well-configured
single-node fine-tunes report; 4-bit bases dequantize every weight on every pass, which costs a further third.
"""

from __future__ import annotations

from dataclasses import dataclass

from .gpus import Gpu
from .setup import Setup

UTILISATION = (0.25, 0.50)
QUANTIZED_SLOWDOWN = 0.67


@dataclass(frozen=True)
class TimeEstimate:
    tokens: int  # tokens computed over the whole run
    flops_per_token: float
    low_s: float
    high_s: float
    epoch_low_s: float | None
    epoch_high_s: float | None


def flops_per_token(setup: Setup) -> float:
    s = setup.shape
    weights = 2 * (s.linear_params + s.head_params)
    attention = 2 * s.layers * setup.sequence_len * s.heads * s.head_dim
    forward = weights + attention
    backward = 2 * forward if setup.adapter is None else forward + attention
    return forward + backward + (forward if setup.gradient_checkpointing else 0)


def estimate_time(setup: Setup, gpu: Gpu, tokens_per_epoch: int, epochs: float,
                  max_steps: int | None = None, tokens_per_step: int | None = None) -> TimeEstimate | None:
    """None when the GPU's speed is unknown (only its memory was given)."""
    if gpu.tflops is None:
        return None
    total = int(max_steps * tokens_per_step) if max_steps and tokens_per_step else int(tokens_per_epoch * epochs)
    per_token = flops_per_token(setup)
    speed = gpu.tflops * 1e12 * max(setup.processes, 1) * (QUANTIZED_SLOWDOWN if setup.quantized else 1.0)
    low, high = (total * per_token / (speed * u) for u in reversed(UTILISATION))
    epoch = None if max_steps else (tokens_per_epoch * per_token / (speed * UTILISATION[1]),
                                    tokens_per_epoch * per_token / (speed * UTILISATION[0]))
    return TimeEstimate(total, per_token, low, high, epoch[0] if epoch else None, epoch[1] if epoch else None)
