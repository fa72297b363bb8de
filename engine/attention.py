"""Which attention kernel a run really uses: the knobs, read the way Axolotl writes them, and this machine.

Axolotl accepts ``attn_implementation: xformers`` (it patches xformers in) and kernels from the Hugging Face
kernel hub (``kernels-community/vllm-flash-attn3``), which transformers 5 loads itself through the ``kernels``
package on a CUDA GPU. transformers has no xformers attention, so tunedeck trains with sdpa (PyTorch's fused
attention, which carries a memory-efficient kernel of the same kind); a hub kernel runs where it can and sdpa
otherwise. ``attention_plan`` says which and why; the trainer loads what it returns, ``validate`` prints the why.
Light: no torch here (the caller says whether a GPU is usable).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Literal

# transformers' is_kernel pattern (repo[@revision][:kernel]), limited to the verified kernels-community org that
# transformers loads without being told to trust other repositories.
HUB_KERNEL = re.compile(r"^kernels-community/[^/:@]+(?:@[^/:]+)?(?::[^/:]+)?$")


@dataclass(frozen=True)
class AttentionPlan:
    implementation: str  # what from_pretrained gets
    note: str | None = None  # what to tell the user, when it is not simply what they wrote
    severity: Literal["info", "warning"] = "info"


def is_hub_kernel(value: str | None) -> bool:
    return value is not None and HUB_KERNEL.match(value) is not None


def kernels_installed() -> bool:
    return importlib.util.find_spec("kernels") is not None


def attention_plan(cfg: Any, *, gpu: bool, kernels: bool) -> AttentionPlan:
    """The implementation the run loads, from attn_implementation (else the legacy booleans; default sdpa)."""
    chosen = cfg.attn_implementation
    if chosen == "xformers":
        return AttentionPlan("sdpa", "attn_implementation xformers: transformers has no xformers attention (Axolotl "
                             "patches it in), so tunedeck trains with sdpa, PyTorch's fused attention with a "
                             "memory-efficient kernel of the same kind: write attn_implementation: sdpa to say so.")
    if is_hub_kernel(chosen):
        if gpu and kernels:
            return AttentionPlan(chosen, f"attn_implementation {chosen} is a kernel from the Hugging Face kernel "
                                 "hub: transformers downloads it (once; offline it must be in the cache) and runs "
                                 "its compiled code on the GPU through the kernels package.")
        missing = " and ".join(m for m, ok in (("a CUDA GPU", gpu), ("the kernels package (pip install kernels)",
                                                                      kernels)) if not ok)
        return AttentionPlan("sdpa", f"attn_implementation {chosen} is a kernel from the Hugging Face kernel hub, "
                             f"which needs a CUDA GPU and the kernels package; this machine lacks {missing}, so "
                             "tunedeck trains with sdpa here: run on a GPU machine with kernels installed, or write "
                             "attn_implementation: sdpa.", "warning")
    if chosen:
        return AttentionPlan(chosen)
    if cfg.flash_attention:
        return AttentionPlan("flash_attention_2")
    if cfg.sdp_attention is False:
        return AttentionPlan("eager")
    return AttentionPlan("sdpa")
