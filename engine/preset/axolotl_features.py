"""Axolotl features found in a preset document and named: ones tunedeck refuses, and an old spelling it reads.

tunedeck trains supervised fine-tuning only. A config that asks Axolotl for another kind of training (``rl:``,
``reward_model``, ``process_reward_model``, streaming ``pretraining_dataset``) or for a dataset format of one
(``ebft_*``, ``bradley_terry.*``, ``stepwise_supervised``, the preference formats under ``rl:``) is refused with
the feature's name, not as a type error. ``tokens`` given as a mapping of special tokens (old Axolotl configs)
is read as ``special_tokens`` (engine.knobs.model) and said so here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.knobs.problems import Severity

_NOT_HERE = "tunedeck trains supervised fine-tuning only; train this config with Axolotl itself"

# rl: VALUE → the feature's name (Axolotl's RLType, src/axolotl/utils/schemas/enums.py).
_RL = {
    "dpo": "preference tuning (DPO)", "ipo": "preference tuning (IPO)", "kto": "preference tuning (KTO)",
    "orpo": "preference tuning (ORPO)", "simpo": "preference tuning (SimPO)",
    "grpo": "reinforcement learning from a reward function (GRPO)",
    "gdpo": "reinforcement learning from a reward function (GDPO)",
    "ebft": "energy-based fine-tuning (EBFT)",
}

# Dataset types (by prefix) that feed another kind of training than supervised fine-tuning.
_DATASET_TYPES = (
    ("ebft_", "energy-based fine-tuning (EBFT)"),
    ("bradley_terry", "reward-model training (Bradley-Terry pairs)"),
    ("stepwise_supervised", "process reward-model training (stepwise supervision)"),
)


def rl_feature(value: Any) -> str:
    return _RL.get(str(value).strip().lower(), f"rl: {value}")


def document_features(doc: dict[str, Any]) -> Iterator[tuple[str, str, Severity]]:
    """(key, message, severity) for each named feature at the top level of ``doc``."""
    rl = doc.get("rl")
    if rl not in (None, False, ""):
        yield "rl", f"rl: {rl} asks for {rl_feature(rl)}, which tunedeck does not support: {_NOT_HERE}.", "error"
    if doc.get("pretraining_dataset"):
        yield ("pretraining_dataset", ("streaming pretraining datasets (pretraining_dataset) are not supported by "
               "tunedeck, which reads its data whole: list the data under datasets with type: completion, or "
               "train this config with Axolotl itself."), "error")
    for key, feature in (("reward_model", "reward-model training"),
                         ("process_reward_model", "process reward-model training")):
        if doc.get(key) is True:
            yield key, f"{key}: true asks for {feature}, which tunedeck does not support: {_NOT_HERE}.", "error"
    tokens = doc.get("tokens")
    if isinstance(tokens, dict):
        yield ("tokens", ("tokens is a mapping of special tokens, the spelling of older Axolotl configs: tunedeck "
               f"adds them as special_tokens ({', '.join(map(str, tokens))}); today's Axolotl takes only a list "
               "of new tokens here, so move them under special_tokens."), "warning")


def refused_dataset_type(value: Any, doc: dict[str, Any]) -> str | None:
    """The message for a dataset type that belongs to a training kind tunedeck does not do; None otherwise."""
    if not isinstance(value, str):
        return None
    for prefix, feature in _DATASET_TYPES:
        if value.startswith(prefix):
            return f"type '{value}' is a dataset format for {feature}, which tunedeck does not support: {_NOT_HERE}."
    rl = doc.get("rl")
    if rl not in (None, False, ""):
        return (f"type '{value}' is a dataset format for {rl_feature(rl)} (rl: {rl}), which tunedeck does not "
                f"support: {_NOT_HERE}.")
    return None
