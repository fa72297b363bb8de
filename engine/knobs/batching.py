"""Sequence & batching knobs: how many tokens go through the model at once, and how often it steps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator, model_validator

from .base import Section, knob

S = Section.SEQUENCE

_EFFECTIVE = "effective batch = micro_batch_size × gradient_accumulation_steps × gpus_per_node × num_nodes"


class BatchingKnobs(BaseModel, defer_build=True):
    sequence_len: int = knob(
        512, section=S, shapes_data=True, basic=True, ge=8,
        summary="The longest sample, in tokens, the model trains on.",
        what="The context length used in training: the most tokens one sample may hold. Longer rows are "
        "dropped or truncated (excess_length_strategy); with sample_packing it is the length of each packed "
        "sample. A completion document is cut into sequence_len chunks, and as in Axolotl only its first 64 "
        "chunks are used (tunedeck preprocess counts the documents cut).",
        cost="Activation memory grows with micro_batch_size × sequence_len (and faster with eager attention). "
        "With packing, a longer sequence_len packs more rows per sample, so an epoch has fewer optimizer steps, "
        "which can hurt factual learning on a small dataset.",
        typical="512–2048 for short chats; 4096–8192 for long documents or RAG, which needs room for its "
        "retrieved context.",
        interacts=("micro_batch_size", "sample_packing", "excess_length_strategy", "min_sample_len",
                   "gradient_checkpointing", "attn_implementation"),
    )
    excess_length_strategy: Literal["drop", "truncate"] = knob(
        "drop", section=S, shapes_data=True,
        summary="What to do with rows longer than sequence_len: drop them or truncate them.",
        what="drop removes any row whose tokens exceed sequence_len; truncate keeps its first sequence_len "
        "tokens.",
        cost="drop loses those rows entirely; truncate can cut an answer short and, for chat data, cut off "
        "the trained part so the row teaches nothing. Check how many rows are affected with tunedeck preprocess.",
        typical="drop.",
        interacts=("sequence_len",),
    )
    min_sample_len: int = knob(
        2, section=S, shapes_data=True, ge=1,
        summary="Rows shorter than this many tokens are dropped (Axolotl's default: 2).",
        what="Any tokenized row shorter than this is dropped before training, measured before "
        "excess_length_strategy truncates anything, as Axolotl does; tunedeck preview and preprocess count them. "
        "The default 2 drops one-token rows, which teach nothing: the loss predicts each token from the ones "
        "before it, and a lone token has none (e.g. the EOS left alone in the last sequence_len chunk of a "
        "completion document).",
        cost="Higher drops more short rows, so less data and fewer optimizer steps per epoch; 1 keeps every "
        "row. Above sequence_len with excess_length_strategy drop, no row is left.",
        typical="2 (the default); higher only to weed out fragments such as one-word lines of a text file.",
        interacts=("sequence_len", "excess_length_strategy"),
    )
    sample_packing: bool = knob(
        False, section=S, shapes_data=True, basic=True,
        summary="Pack several short rows into one sequence_len sample (attention kept apart) to waste no padding.",
        what="Concatenates short rows into samples of up to sequence_len tokens, with position ids restarting "
        "at each row so attention keeps the rows apart. Needs an attention kernel that honours that: "
        "flash_attention_2/3, or sdpa/eager/flex, which build a block-diagonal mask from the position ids.",
        cost="Far less compute wasted on padding, often 2–5× faster on short-row data. Each step sees more "
        "rows, so an epoch has fewer optimizer steps; memory per sample is that of a full sequence_len.",
        typical="true for many short rows on a GPU with flash_attention_2; false for tiny datasets where "
        "the step count matters.",
        interacts=("sequence_len", "attn_implementation", "micro_batch_size", "pad_to_sequence_len"),
    )
    pad_to_sequence_len: bool = knob(
        False, section=S,
        summary="Pad every batch to sequence_len, for steady memory use.",
        what="Pads every batch to exactly sequence_len tokens instead of to its longest row, so every step "
        "has the same shape.",
        cost="Wastes compute on padding, but memory use is constant from the first step, so an out-of-memory "
        "error shows up at once rather than hours in.",
        typical="false; true when you want to probe the worst-case memory early.",
        interacts=("sequence_len", "sample_packing"),
    )
    micro_batch_size: int = knob(
        1, section=S, basic=True, ge=1,
        summary="Samples per forward/backward pass on each GPU.",
        what="How many samples each process pushes through the model at once. "
        + _EFFECTIVE + ".",
        cost="Activation memory per GPU grows about linearly with micro_batch_size × sequence_len. Larger is "
        "faster per sample (better GPU use) and raises the effective batch, so an epoch has fewer optimizer "
        "steps.",
        typical="1–8 for 7–8B models on one GPU; raise it until memory is nearly full, then use "
        "gradient_accumulation_steps for the rest.",
        interacts=("gradient_accumulation_steps", "sequence_len", "gpus_per_node", "num_nodes", "eval_batch_size"),
    )
    gradient_accumulation_steps: int = knob(
        1, section=S, basic=True, ge=1,
        summary="Micro batches whose gradients are summed before each optimizer step.",
        what="Runs this many micro batches, adding up their gradients, before the optimizer moves the "
        "weights once. It reaches a large effective batch without the memory: " + _EFFECTIVE + ".",
        cost="No extra memory; slightly slower overall. Raising it means fewer optimizer steps per epoch, "
        "which smooths training but can blur facts together if the effective batch gets very large.",
        typical="1–16; pick it so the effective batch lands around 16–128 (more GPUs → lower it to keep the "
        "same effective batch).",
        interacts=("micro_batch_size", "gpus_per_node", "num_nodes", "learning_rate"),
    )
    eval_batch_size: int | None = knob(
        None, section=S, ge=1,
        summary="Samples per evaluation pass on each GPU (default: micro_batch_size).",
        what="Batch size for measuring the validation loss. Evaluation keeps no gradients, so it can usually "
        "be larger than micro_batch_size.",
        cost="Larger is faster evaluation at more memory; it does not change training at all.",
        typical="Empty (same as micro_batch_size), or 2× micro_batch_size.",
        interacts=("micro_batch_size", "val_set_size"),
    )
    gradient_checkpointing: bool = knob(
        False, section=S, basic=True,
        summary="Recompute activations in the backward pass instead of storing them: less memory, ~30% slower.",
        what="Keeps only some layer outputs during the forward pass and recomputes the rest when gradients "
        "are needed, trading compute for memory. offload and offload_disk are Axolotl's older spellings of true "
        "with activation_offloading: true or disk, and are read that way.",
        cost="Saves most of the activation memory (what grows with micro_batch_size × sequence_len) at roughly "
        "20–35% more time per step. Nothing changes in the result.",
        typical="true for 7B+ models or long sequence_len on one GPU; false for small models that fit.",
        interacts=("micro_batch_size", "sequence_len", "activation_offloading"),
    )
    activation_offloading: Literal["legacy", "disk"] | bool = knob(
        False, section=S,
        summary="Keep each layer's checkpointed input in CPU memory (or on disk) until the backward pass needs it.",
        what="With gradient_checkpointing, each layer still keeps its input on the GPU for the backward pass; "
        "this moves those inputs to CPU memory (pinned) as the forward pass saves them and brings each back when "
        "its layer is recomputed. disk writes them to files in the run folder's offload/ folder instead, each "
        "deleted once the backward pass has read it. legacy (Axolotl's older synchronous copy) is read as true.",
        cost="Frees the checkpointed inputs' GPU memory (layers × micro_batch_size × sequence_len × hidden size "
        "× 2 bytes) for the same result, but copies them over PCIe twice per step (slower) and needs that much "
        "host RAM; disk needs that much free disk and is slower still. On a CPU it only copies.",
        typical="false; true for very long sequence_len on one GPU once gradient_checkpointing alone does not "
        "fit; disk only when host RAM is short.",
        interacts=("gradient_checkpointing", "sequence_len", "micro_batch_size"),
    )

    @field_validator("min_sample_len", mode="before")
    @classmethod
    def _min_sample_len_positive(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            axolotl = " (Axolotl reads 0 as its default 2: write 2 to say so)" if value == 0 else ""
            raise ValueError(f"at least 1 is needed: 1 keeps every row, 2 (the default) drops one-token "
                             f"rows{axolotl}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _offload_spellings(cls, data: Any) -> Any:
        """Axolotl reads gradient_checkpointing: offload / offload_disk as true plus activation_offloading: true /
        disk; so does tunedeck, so the engine only ever sees a bool here."""
        if isinstance(data, dict):
            spelling = data.get("gradient_checkpointing")
            if isinstance(spelling, str) and spelling in OFFLOAD_SPELLINGS:
                data = {**data, "gradient_checkpointing": True,
                        "activation_offloading": data.get("activation_offloading") or OFFLOAD_SPELLINGS[spelling]}
        return data


# gradient_checkpointing's old Axolotl values → the activation_offloading they mean.
OFFLOAD_SPELLINGS: dict[str, bool | str] = {"offload": True, "offload_disk": "disk"}


def offload_target(cfg: BatchingKnobs) -> Literal["cpu", "disk"] | None:
    """Where checkpointed activations go: CPU memory, disk, or nowhere (they stay on the GPU)."""
    if not cfg.activation_offloading or not cfg.gradient_checkpointing:
        return None
    return "disk" if cfg.activation_offloading == "disk" else "cpu"
