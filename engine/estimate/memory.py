"""Peak GPU memory per process: the parts, and a (low, expected, high) band around their sum.

The parts are exact byte counts (states.py) or counts of what autograd keeps (activations.py). The band covers
what the count cannot know: activations depend on kernels' workspaces and on the caching allocator's rounding
and fragmentation (PyTorch reserves more than it allocates, typically a tenth to a fifth more under changing
shapes), and the CUDA context plus cuBLAS workspace differ by driver and GPU (a few hundred MiB to ~1 GiB, not
counted by ``torch.cuda.max_memory_allocated`` but by nvidia-smi). Weights and optimizer states are exact.

With ZeRO/FSDP the optimizer states (stage ≥ 1), gradients (≥ 2) and weights (3) are divided over the processes;
stage 3 gathers the full weights of the layer being computed (two layers' worth in flight, as prefetching does).
Offloaded optimizer states or parameters live in CPU memory, and so do offloaded activations (the checkpointed
layer inputs, reported apart as ``offloaded``: CPU memory or disk). In preference tuning a full fine-tune keeps a
frozen reference copy of the weights; with an adapter the reference is the base with the adapter switched off.

Without packing a batch is padded to its longest row: once the data is counted, the expected activations and logits
follow the longest row (``Setup.batch_len``); the high end keeps sequence_len, the length a batch can reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .activations import activations
from .setup import BYTES, Setup
from .states import states

GIB = 1024**3
CUDA_CONTEXT_GIB = (0.3, 0.5, 1.0)
ACTIVATION_BAND = (0.9, 1.2)

# Part names, in the order they are shown; engine.estimate.explain says what each one is.
PARTS = ("weights", "reference_model", "gradients", "optimizer", "checkpointed_inputs", "activations",
         "recomputed_layer", "logits", "cuda_context")
ACTIVATION_PARTS = ("checkpointed_inputs", "activations", "recomputed_layer", "logits")


@dataclass(frozen=True)
class MemoryEstimate:
    parts: dict[str, float]  # GiB per part, in PARTS order, zero parts left out
    low: float
    expected: float
    high: float
    trainable_params: int
    total_params: int
    # GiB kept off the GPU by activation offloading, by where: "cpu" (host RAM, pinned) or "disk". Not in the band.
    offloaded: dict[str, float] = field(default_factory=dict)

    @property
    def allocated(self) -> float:
        """What ``torch.cuda.max_memory_allocated`` should show: everything but the CUDA context."""
        return self.expected - self.parts.get("cuda_context", 0.0)


def estimate_memory(setup: Setup) -> MemoryEstimate:
    st = states(setup)
    act = activations(setup.at_batch_len())
    worst = activations(setup)
    n = max(setup.processes, 1)
    shard = setup.sharding
    stage = shard.stage if n > 1 else 0

    weights = st.weights
    if shard.offload_params and stage >= 3:
        weights = 0.0
    elif stage >= 3:
        weights = st.weights / n + 2 * st.weights / max(setup.shape.layers, 1)
    gradients = st.gradients / n if stage >= 2 else st.gradients
    optimizer = 0.0 if shard.offload_optimizer else st.optimizer / n if stage >= 1 else st.optimizer
    reference = 0.0
    if setup.has_reference and setup.adapter is None:  # with an adapter the reference is the base, adapter off
        reference = setup.shape.total_params * BYTES[setup.weights] / (n if stage >= 3 else 1)

    checkpointed = act.layers if setup.gradient_checkpointing else 0.0
    saved = 0.0 if setup.gradient_checkpointing else act.layers
    # Offloading keeps the checkpointed inputs in CPU memory or on disk: off the GPU, the same bytes elsewhere.
    offloaded = checkpointed if setup.gradient_checkpointing and setup.activation_offload else 0.0
    checkpointed -= offloaded
    raw = {
        "weights": weights, "reference_model": reference, "gradients": gradients, "optimizer": optimizer,
        "checkpointed_inputs": checkpointed, "activations": saved, "recomputed_layer": act.recompute,
        "logits": act.logits,
    }
    parts = {k: v / GIB for k, v in raw.items() if v > 0}
    low_ctx, ctx, high_ctx = CUDA_CONTEXT_GIB
    parts["cuda_context"] = ctx
    activ = sum(parts.get(k, 0.0) for k in ACTIVATION_PARTS)
    static = sum(parts.values()) - activ - ctx
    worst_layers = 0.0 if offloaded else worst.layers
    worst_activ = (worst_layers + worst.recompute + worst.logits) / GIB  # every row as long as sequence_len
    return MemoryEstimate(
        parts=parts,
        low=static + activ * ACTIVATION_BAND[0] + low_ctx,
        expected=static + activ + ctx,
        high=static + worst_activ * ACTIVATION_BAND[1] + high_ctx,
        trainable_params=st.trainable_params, total_params=st.total_params,
        offloaded={setup.activation_offload: offloaded / GIB} if offloaded and setup.activation_offload else {},
    )
