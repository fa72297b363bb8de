"""The metrics trl logs for preference and reward-model runs, as event fields: rewards of the chosen and the rejected
answers, their margin, how often the chosen one wins, and KTO's KL estimate."""

from __future__ import annotations

from typing import Any

PREFERENCE_METRICS = {"rewards/chosen": "rewards_chosen", "rewards/rejected": "rewards_rejected",
                      "rewards/margins": "rewards_margin", "rewards/accuracies": "rewards_accuracy", "kl": "kl",
                      # trl's RewardTrainer (reward_model): the same pairwise margin and accuracy, other names
                      "margin": "rewards_margin", "accuracy": "rewards_accuracy"}


def preference_metrics(logs: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """The preference metrics among a log record's values, under their event names (absent ones left out).
    ``prefix="eval_"``: an evaluation's (trl logs eval_rewards/accuracies, eval_accuracy, ...), named eval_…."""
    return {prefix + name: float(logs[prefix + key]) for key, name in PREFERENCE_METRICS.items()
            if prefix + key in logs}
