"""Mentor notes for preference tuning (``rl:``): the learning rate, beta, the starting model, the reference model.

Pure and cheap, like :mod:`engine.advice`, which adds these notes to its own.
"""

from __future__ import annotations

from typing import Any

from engine.knobs.preference import REFERENCE_METHODS
from engine.knobs.problems import Problem

# Above these, a learning rate is SFT's scale rather than preference tuning's (DPO runs 10-100x lower).
HIGH_RL_LR_FULL = 1e-5
HIGH_RL_LR_ADAPTER = 1e-4
LOW_BETA, HIGH_BETA = 0.01, 0.5
# Words in a model's name that say it was instruction-tuned (or chat-tuned) already.
TUNED_MARKERS = ("instruct", "chat", "-it", "_it", "sft", "dpo", "hermes", "zephyr", "tulu")


def preference_notes(cfg: Any) -> list[Problem]:
    if not cfg.rl:
        return []
    notes: list[Problem] = []
    adapter = cfg.adapter
    limit = HIGH_RL_LR_ADAPTER if adapter else HIGH_RL_LR_FULL
    if cfg.learning_rate > limit:
        usual = "5e-6 to 5e-5 with an adapter" if adapter else "5e-7 to 5e-6 in a full fine-tune"
        notes.append(Problem("learning_rate", f"learning_rate {cfg.learning_rate:g} is a supervised fine-tuning rate, "
                             f"but rl: {cfg.rl} pushes the model along the preference margin, which runs away at "
                             f"SFT rates (rewards of both answers collapse, text degrades): use about {usual}, "
                             "10–100× below SFT.", "warning"))
    beta = cfg.rl_beta
    if beta is not None and cfg.rl in ("dpo", "ipo", "kto") and not LOW_BETA <= beta <= HIGH_BETA:
        side = ("so low that almost nothing holds the model near the reference: it can drift into odd, repetitive "
                "text while the margin grows") if beta < LOW_BETA else \
            "so high that the model is held at the reference and barely changes"
        notes.append(Problem("rl_beta", f"rl_beta {beta:g} is {side}. 0.1 is the usual start (0.01–0.5).", "warning"))
    starts_tuned = cfg.lora_model_dir or any(m in (cfg.base_model or "").lower() for m in TUNED_MARKERS)
    if not starts_tuned:
        notes.append(Problem("base_model", f"rl: {cfg.rl} usually follows supervised fine-tuning: '{cfg.base_model}' "
                             "does not look instruction-tuned, and preference tuning teaches which answer is better, "
                             "not how to answer. Start from an instruct model, or from your SFT adapter "
                             "(lora_model_dir).", "info"))
    if cfg.rl in REFERENCE_METHODS and adapter is None:
        notes.append(Problem("adapter", f"rl: {cfg.rl} in a full fine-tune keeps a frozen copy of the whole model as "
                             "the reference: its weights again in memory (about 2 bytes per parameter in bf16) and "
                             "one more forward pass per step. With adapter: lora the reference is the base with the "
                             "adapter switched off, at no memory cost.", "info"))
    return notes
