"""Cross-knob rules of reward-model training (``reward_model: true``): what it cannot go with, the data type it
reads, and the knobs only it reads. Registered into ``rules.check_rules`` on import (rules.py imports it last)."""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .prompt_learning import PROMPT_LEARNING_ADAPTERS
from .reward import REWARD_TYPES
from .rule_registry import rule

_REWARD_ONLY = ("center_rewards_coefficient", "num_labels")


@rule
def _reward_model_alone(cfg: Config) -> Iterator[Problem]:
    """A reward model is its own kind of training: not a preference method, not packed, not a prompt adapter."""
    if not cfg.reward_model:
        return
    if cfg.rl:
        yield Problem("reward_model", f"reward_model is true and rl is {cfg.rl}: a run trains either a reward model "
                      "(a score head, from bradley_terry pairs) or a policy by preference tuning, not both. Remove "
                      "rl to train the reward model, or remove reward_model.")
    if cfg.sample_packing:
        yield Problem("sample_packing", "sample_packing is true with reward_model: a reward model scores each "
                      "conversation at its last token, so the chosen and rejected sequences cannot be packed "
                      "together: set sample_packing: false.")
    if cfg.adapter in PROMPT_LEARNING_ADAPTERS:
        yield Problem("adapter", f"adapter {cfg.adapter} with reward_model: tunedeck trains reward models fully or "
                      "with lora/qlora (the adapter plus the score head): set adapter: lora, or remove adapter.")
    if cfg.num_labels not in (None, 1):
        yield Problem("num_labels", f"num_labels is {cfg.num_labels} with reward_model: a reward model puts out "
                      "one score per conversation: set num_labels: 1 (or remove it).")


@rule
def _types_fit_reward_model(cfg: Config) -> Iterator[Problem]:
    """reward_model reads bradley_terry pairs only (test_datasets: its evaluation pairs); any other run cannot read
    them."""
    entries = [(f"datasets.{i}", ds) for i, ds in enumerate(cfg.datasets)]
    entries += [(f"test_datasets.{i}", ds) for i, ds in enumerate(cfg.test_datasets)]
    for where, ds in entries:
        key = f"{where}.type"
        if cfg.reward_model and ds.type not in REWARD_TYPES:
            yield Problem(key, f"type is {ds.type} but reward_model is true, which trains on chosen/rejected pairs "
                          f"of type {', '.join(REWARD_TYPES)} (input, chosen, rejected, optional system): set "
                          "that type, or remove reward_model.")
        elif not cfg.reward_model and ds.type in REWARD_TYPES and not cfg.rl:  # rl's own rule names its types
            yield Problem(key, f"type is {ds.type}, a reward-model dataset type, but reward_model is not set: set "
                          "reward_model: true to train a reward model on these pairs, or choose another type.")


@rule
def _reward_knobs_unread(cfg: Config) -> Iterator[Problem]:
    if cfg.reward_model:
        return
    for key in _REWARD_ONLY:
        if getattr(cfg, key) is not None:
            yield Problem(key, f"{key} is ignored: only reward_model: true reads it, and reward_model is not set. "
                          f"Remove {key}, or set reward_model: true.", "warning")
