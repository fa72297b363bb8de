"""Reward-model training (``reward_model: true``): trl's ``RewardTrainer`` fed the pairs engine.data prepared.

The model is the base with a one-output score head (engine.train.model). Each pair's chosen and rejected
conversations arrive as prompt ids + answer ids (the same columns preference data has); here they are joined into
the two whole sequences trl reads (``chosen_ids`` / ``rejected_ids``), so its own tokenization and length filter
are skipped and the ids are exactly those ``preprocess --export`` writes. The loss is Bradley-Terry's,
-log sigmoid(r_chosen - r_rejected), plus ``center_rewards_coefficient`` times the mean squared reward when set.
trl logs the batch's pairwise accuracy and mean margin, which the run folder records as rewards_accuracy and
rewards_margin (engine.train.preference_metrics), as for preference runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl import RewardConfig, RewardTrainer

from .args import Plan, sft_kwargs, with_checkpointing_names
from .callbacks import TokenCounter
from .hardware import Precision

if TYPE_CHECKING:
    from engine.knobs.config import Config


def reward_config(cfg: Config, precision: Precision, p: Plan, *, has_eval: bool, preset_path: Path | None) -> Any:
    """trl's RewardConfig, carrying every Trainer knob SFT runs map (schedule, saving, tracking, hub)."""
    names = {f.name for f in dataclasses.fields(RewardConfig)}
    common = with_checkpointing_names(sft_kwargs(cfg, precision, p, has_eval=has_eval, preset_path=preset_path),
                                      names)
    kwargs = {k: v for k, v in common.items() if k in names}
    # max_length stays None (as sft_kwargs sets it): engine.data fitted every pair into sequence_len and counted.
    return RewardConfig(**{**kwargs, "center_rewards_coefficient": cfg.center_rewards_coefficient})


def whole_sequences(ds: Any) -> Any:
    """Pairs as trl's RewardTrainer reads them: the prompt joined to each answer."""
    if ds is None:
        return None

    def join(batch: dict[str, list]) -> dict[str, list]:
        return {part: [prompt + answer for prompt, answer in zip(batch["prompt_ids"], batch[part], strict=True)]
                for part in ("chosen_ids", "rejected_ids")}

    return ds.map(join, batched=True).select_columns(["chosen_ids", "rejected_ids"])


class TunedeckRewardTrainer(RewardTrainer):
    """RewardTrainer counting each step's real tokens (both sequences of every pair) for tokens/s."""

    def __init__(self, *args: Any, token_counter: TokenCounter, **kwargs: Any) -> None:
        self.token_counter = token_counter
        super().__init__(*args, **kwargs)

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
        self.token_counter.add(inputs)  # chosen and rejected rows, each with its attention mask
        return super().training_step(model, inputs, num_items_in_batch)


def build_reward_trainer(model: Any, args: Any, train_ds: Any, eval_ds: Any, tokenizer: Any, callbacks: list[Any],
                         counter: TokenCounter) -> Any:
    return TunedeckRewardTrainer(model=model, args=args, train_dataset=whole_sequences(train_ds),
                                 eval_dataset=whole_sequences(eval_ds), processing_class=tokenizer,
                                 callbacks=callbacks, token_counter=counter)
