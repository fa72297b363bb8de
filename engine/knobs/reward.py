"""Reward-model knobs: train a model that scores a conversation (one number) so that preferred answers score
higher, from chosen/rejected pairs (Bradley-Terry). Axolotl's names and meanings (``reward_model:`` and friends)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.SCHEDULE

# Axolotl's reward-model dataset type (src/axolotl/prompt_strategies/bradley_terry/chat_template.py): rows with
# system (optional), input, chosen and rejected, each answer rendered after the prompt through the chat template.
RewardDatasetType = Literal["bradley_terry.chat_template"]
REWARD_TYPES: tuple[str, ...] = ("bradley_terry.chat_template",)


class RewardKnobs(BaseModel, defer_build=True):
    reward_model: bool = knob(
        False, section=S, shapes_data=True,
        summary="Train a reward model: a score head that rates answers, from chosen/rejected pairs.",
        what="Instead of a model that writes text, train one that reads a whole conversation and gives it one "
        "number, the reward. The base model gets a score head (sequence classification with one output, read at "
        "the last token) and learns from pairs so that the chosen answer scores above the rejected one "
        "(Bradley-Terry loss, trl's RewardTrainer). The data is type bradley_terry.chat_template. With LoRA the "
        "adapter and the whole new score head are trained and saved together. Such a model ranks answers, for "
        "example to judge samples or to steer reinforcement learning; it cannot chat.",
        cost="Each pair is two sequences, so a step costs about twice an SFT step of the same batch; no reference "
        "model. The score head is new, so the first steps learn it from scratch.",
        typical="false; true with bradley_terry.chat_template pairs, an instruct or SFT base, learning rate "
        "about 1e-5 full or 1e-4 with LoRA, 1–2 epochs.",
        interacts=("datasets.type", "rl", "sample_packing", "center_rewards_coefficient", "num_labels",
                   "excess_length_strategy"),
    )
    center_rewards_coefficient: float | None = knob(
        None, section=S, ge=0,
        summary="Reward model: weight of a penalty that keeps rewards centred on zero (e.g. 0.01).",
        what="Adds this weight times the mean squared reward of each batch to the loss, so the scores stay near "
        "zero instead of drifting (Eisenstein et al., 2023). The ranking loss only sees differences between "
        "chosen and rejected, so without it the level of the rewards is arbitrary. Read only with reward_model.",
        cost="Too high and it fights the ranking loss (smaller margins); no memory or speed cost.",
        typical="Empty (off); 0.01 (trl's recommendation) when the rewards feed another training run.",
        interacts=("reward_model",),
    )
    num_labels: int | None = knob(
        None, section=S, ge=1,
        summary="Reward model: outputs of the score head; a reward model has exactly 1.",
        what="How many numbers the classification head puts out. A reward model gives one score per sequence, "
        "so with reward_model it must be 1 (or empty, which means 1). Axolotl configs set it together with "
        "model_type: AutoModelForSequenceClassification, which tunedeck chooses by itself for reward_model.",
        cost="None.",
        typical="Empty or 1.",
        interacts=("reward_model",),
    )
