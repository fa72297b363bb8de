"""Axolotl features found in a preset document and named: ones tunedeck refuses, and an old spelling it reads.

tunedeck trains supervised fine-tuning, preference tuning (``rl:`` dpo, ipo, orpo, kto, simpo) and reward models
(``reward_model: true``, type ``bradley_terry.chat_template``). A config that asks Axolotl for another kind of
training (``rl: grpo`` and the like, refused by the ``rl`` knob itself; ``process_reward_model``) or for a dataset
format of one (``ebft_*``, ``stepwise_supervised``, a ``bradley_terry`` variant other than chat_template) is
refused with the feature's name, not as a type error.
``process_reward_model`` stays refused because trl 1.x no longer ships a trainer for it (its PRMTrainer is gone).
``tokens`` given as a mapping of special tokens (old Axolotl configs) is read as ``special_tokens``
(engine.knobs.model) and said so here, as is ``dpo_beta``, the old name of ``rl_beta``.
A file may be an Axolotl file that is no training config at all: its cloud launch config (the ``cloud.yaml`` of
``axolotl train config.yml --cloud cloud.yaml``) is refused by name with one error (``cloud_launch_config``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.knobs.batching import OFFLOAD_SPELLINGS
from engine.knobs.preference import (
    KTO_TYPES,
    PAIR_TYPES,
    PREFERENCE_METHODS,
    REFUSED_RL,
)
from engine.knobs.problems import Severity

from .unknown_keys import classify

_NOT_HERE = ("tunedeck trains supervised fine-tuning, preference tuning and (Bradley-Terry) reward models only; train "
             "this config with Axolotl itself")

# Dataset types (by prefix) that feed another kind of training than supervised fine-tuning.
_DATASET_TYPES = (
    ("ebft_", "energy-based fine-tuning (EBFT)"),
    ("stepwise_supervised", "process reward-model training (stepwise supervision)"),
)


def document_features(doc: dict[str, Any]) -> Iterator[tuple[str, str, Severity]]:
    """(key, message, severity) for each named feature at the top level of ``doc``."""
    if doc.get("dpo_beta") is not None:
        yield ("dpo_beta", ("dpo_beta is the old name of rl_beta (as in Axolotl): it is read as rl_beta; rename "
               "it to rl_beta."), "warning")
    if doc.get("process_reward_model") is True:
        yield ("process_reward_model", ("process_reward_model: true asks for process reward-model training "
               "(a score per reasoning step), which tunedeck does not support: trl 1.x has no trainer for it. "
               "reward_model: true trains a reward model that scores whole answers; or train this config with "
               "Axolotl itself."), "error")
    spelling = doc.get("gradient_checkpointing")
    if isinstance(spelling, str) and spelling in OFFLOAD_SPELLINGS:
        meant = "disk" if OFFLOAD_SPELLINGS[spelling] == "disk" else "true"
        yield ("gradient_checkpointing", (f"gradient_checkpointing: {spelling} is Axolotl's older spelling of "
               f"gradient_checkpointing: true with activation_offloading: {meant}, and is read so; write those two "
               "keys instead (Axolotl too calls the old spelling deprecated)."), "warning")
    tokens = doc.get("tokens")
    if isinstance(tokens, dict):
        yield ("tokens", ("tokens is a mapping of special tokens, the spelling of older Axolotl configs: tunedeck "
               f"adds them as special_tokens ({', '.join(map(str, tokens))}); today's Axolotl takes only a list "
               "of new tokens here, so move them under special_tokens."), "warning")


def refused_dataset_type(value: Any, doc: dict[str, Any]) -> str | None:
    """The message for a dataset type that belongs to a training kind tunedeck does not do, or that a preference
    run (rl) cannot read; None otherwise."""
    if not isinstance(value, str):
        return None
    if value.startswith("bradley_terry"):
        return (f"type '{value}' is a reward-model format tunedeck does not read: use bradley_terry.chat_template "
                "(rows with input, chosen, rejected and an optional system, rendered with chat_template).")
    for prefix, feature in _DATASET_TYPES:
        if value.startswith(prefix):
            return f"type '{value}' is a dataset format for {feature}, which tunedeck does not support: {_NOT_HERE}."
    rl = doc.get("rl")
    if rl in (None, False, ""):
        return None
    method = str(rl).strip().lower()
    if method not in PREFERENCE_METHODS:
        what = REFUSED_RL.get(method, f"rl: {rl}")
        return (f"type '{value}' is a dataset format for {what} (rl: {rl}), which tunedeck does not support: "
                f"{_NOT_HERE}.")
    kinds = KTO_TYPES if method == "kto" else PAIR_TYPES
    return (f"type '{value}' is not a preference dataset type tunedeck reads, and rl is {rl}: use one of "
            f"{', '.join(kinds)} (tunedeck explain datasets.type says what each reads), or convert the data to one "
            "of those shapes.")


# The keys Axolotl's cloud launchers read (src/axolotl/cli/cloud/: __init__.py, modal_.py, baseten/__init__.py and
# baseten/template/train_sft.py); neither tunedeck nor Axolotl's training config knows any of them. provider unset
# means Modal there.
_CLOUD_KEYS = frozenset(["provider", "project_name", "secrets", "env", "gpu", "gpu_count", "node_count", "volumes",
                         "branch", "docker_tag", "dockerfile_commands", "memory", "timeout", "memory_preprocess",
                         "timeout_preprocess", "spawn", "launcher", "launcher_args"])


def cloud_launch_config(doc: dict[str, Any]) -> tuple[str, str] | None:
    """(key, message) when ``doc`` is Axolotl's cloud launch config rather than a training config: no key a
    training config has (tunedeck's or Axolotl's), and mostly (at least two) keys of the cloud launchers. The key
    is its first such key (its line is the error's)."""
    keys = [str(k) for k in doc]
    cloud = [k for k in keys if k in _CLOUD_KEYS]
    if len(cloud) < 2 or 2 * len(cloud) <= len(keys) or any(classify(k).verdict in ("known", "kept") for k in keys):
        return None
    provider = doc.get("provider") or "modal"
    where = {"modal": "Modal", "baseten": "Baseten"}.get(str(provider), f"provider {provider}")
    return cloud[0], (
        f"this is Axolotl's cloud launch config for {where} (keys {', '.join(cloud[:6])}"
        f"{', ...' if len(cloud) > 6 else ''}): the file given as `axolotl train config.yml --cloud cloud.yaml`, "
        "not a training config (it has no base_model or datasets). tunedeck trains on the machine it runs on and "
        "has no cloud launcher: open the training config (the YAML with base_model and datasets) instead, on the "
        "machine that should train; its gpus_per_node and num_nodes take the place of this file's gpu_count and "
        "node_count.")
