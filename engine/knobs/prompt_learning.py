"""Prompt-learning adapter knobs (peft's prompt tuning, P-tuning, prefix tuning): a few trained virtual tokens
in front of every row instead of trained weights. tunedeck's own: Axolotl's adapter takes lora/qlora only."""

from __future__ import annotations

from pydantic import BaseModel

from .base import Section, knob

S = Section.ADAPTER
PROMPT_LEARNING_ADAPTERS = ("prompt_tuning", "p_tuning", "prefix_tuning")


class PromptLearningKnobs(BaseModel, defer_build=True):
    num_virtual_tokens: int = knob(
        20, section=S, axolotl=False, ge=1, le=1024,
        summary="prompt_tuning / p_tuning / prefix_tuning: how many trained virtual tokens lead every row.",
        what="The adapter is this many learned vectors placed before each row (prompt_tuning, p_tuning: as "
        "input embeddings; prefix_tuning: as keys and values in every attention layer). The base model stays "
        "frozen; only these vectors learn. tunedeck's own key (Axolotl has no prompt-learning adapters).",
        cost="Each virtual token takes a place in every row's attention, so rows are effectively longer by "
        "this much (memory, time). More tokens give the adapter more capacity; trainable parameters are "
        "tokens × hidden size (× 2 × layers for prefix_tuning).",
        typical="8–32 for small tasks; 20 is peft's common choice; up to 100 for harder ones.",
        interacts=("adapter", "prompt_tuning_init_text", "encoder_hidden_size", "sequence_len"),
    )
    prompt_tuning_init_text: str | None = knob(
        None, section=S, axolotl=False,
        summary="prompt_tuning: start the virtual tokens from this text's embeddings; empty starts them at random.",
        what="With a text (such as 'Answer the question politely:'), the virtual tokens start as the embeddings "
        "of that text's tokens, repeated or cut to num_virtual_tokens; empty draws them at random. Only "
        "adapter: prompt_tuning reads it. tunedeck's own key.",
        cost="No memory or speed cost. A text that describes the task usually trains faster and steadier than "
        "a random start, especially on small models.",
        typical="empty, or a short instruction describing the task.",
        interacts=("adapter", "num_virtual_tokens"),
    )
    encoder_hidden_size: int | None = knob(
        None, section=S, axolotl=False, ge=1,
        summary="p_tuning: width of the small MLP that produces the virtual tokens; empty uses the model's width.",
        what="P-tuning does not train the virtual tokens directly: a small MLP encoder (peft's prompt encoder) "
        "computes them, which steadies training. This is that MLP's hidden width; empty takes the model's "
        "hidden size. Only adapter: p_tuning reads it. tunedeck's own key.",
        cost="Trainable parameters grow with it (about 2 × width × model width); the encoder runs once per "
        "step, so speed barely changes.",
        typical="empty (the model's hidden size), or 128–1024 on large models to keep the encoder small.",
        interacts=("adapter", "num_virtual_tokens"),
    )
