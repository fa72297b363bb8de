"""Cross-knob rules of preference tuning (``rl:``), as Axolotl has them, plus the knobs that only one method reads.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .preference import KTO_TYPES, PAIR_TYPES, is_preference_type
from .problems import Problem
from .rule_registry import rule

# knob → the rl methods that read it
_METHOD_KNOBS = {
    "dpo_label_smoothing": ("dpo",),
    "orpo_alpha": ("orpo",),
    "simpo_gamma": ("simpo",),
    "cpo_alpha": ("simpo",),
    "kto_desirable_weight": ("kto",),
    "kto_undesirable_weight": ("kto",),
}
_RL_ONLY = ("rl_beta", "max_prompt_len", "rl_adapter_ref_model")


@rule
def _no_packing_with_rl(cfg: Config) -> Iterator[Problem]:
    if cfg.rl and cfg.sample_packing:
        yield Problem("sample_packing", f"sample_packing is true with rl: {cfg.rl}, but preference tuning compares "
                      "whole answers row by row and cannot pack them (Axolotl refuses it too): set "
                      "sample_packing: false.")


@rule
def _types_fit_method(cfg: Config) -> Iterator[Problem]:
    """rl needs preference types (pairs, or KTO rows); an SFT run cannot read them. test_datasets are read the
    same way (the evaluation pairs of an rl run)."""
    entries = [(f"datasets.{i}", ds) for i, ds in enumerate(cfg.datasets)]
    entries += [(f"test_datasets.{i}", ds) for i, ds in enumerate(cfg.test_datasets)]
    for where, ds in entries:
        key = f"{where}.type"
        if cfg.rl is None:
            if is_preference_type(ds.type) and not cfg.reward_model:  # reward_rules names reward_model's type
                yield Problem(key, f"type is {ds.type}, a preference dataset type, but rl is not set, so this is a "
                              "supervised run that cannot read chosen/rejected pairs: set rl (e.g. rl: dpo) to "
                              "tune on preferences, or choose an SFT type such as chat_template.")
            continue
        wanted = KTO_TYPES if cfg.rl == "kto" else PAIR_TYPES
        if ds.type not in wanted:
            shape = "prompt, completion and label rows" if cfg.rl == "kto" else "chosen/rejected pairs"
            yield Problem(key, f"type is {ds.type} but rl is {cfg.rl}, which trains on {shape}: set type to one "
                          f"of {', '.join(wanted)}, or remove rl for supervised fine-tuning.")


@rule
def _method_knobs(cfg: Config) -> Iterator[Problem]:
    for key, methods in _METHOD_KNOBS.items():
        if getattr(cfg, key) is not None and cfg.rl not in methods:
            now = f"rl is {cfg.rl}" if cfg.rl else "rl is not set"
            yield Problem(key, f"{key} is ignored: only rl: {' or '.join(methods)} reads it, and {now}. Remove "
                          f"{key}, or set rl: {methods[0]}.", "warning")
    if cfg.rl is None:
        for key in _RL_ONLY:
            if key == "max_prompt_len" and cfg.reward_model:  # reward-model pairs are cut the same way
                continue
            if key in cfg.model_fields_set and getattr(cfg, key) not in (None, False):
                yield Problem(key, f"{key} is ignored: it only matters for preference tuning and rl is not set. "
                              f"Remove {key}, or set rl (e.g. rl: dpo).", "warning")
    if cfg.rl_adapter_ref_model and cfg.adapter is None and cfg.rl is not None:
        yield Problem("rl_adapter_ref_model", "rl_adapter_ref_model only matters with an adapter; without one "
                      "(a full fine-tune) the reference is always a frozen copy: remove it.", "warning")


@rule
def _separate_reference_not_built(cfg: Config) -> Iterator[Problem]:
    """The trainer does not load a second reference model yet: true must not train against another reference."""
    if cfg.rl_adapter_ref_model and cfg.adapter is not None and cfg.rl is not None:
        yield Problem("rl_adapter_ref_model", "rl_adapter_ref_model: true (a separate reference model) is not "
                      "supported yet by tunedeck. Its reference is the model you start from, inside the same model: "
                      "the base with the adapter switched off, or with lora_model_dir the SFT adapter as loaded "
                      "(a frozen adapter-sized copy). Set rl_adapter_ref_model: false (or remove it) to train so.")


@rule
def _adapter_dir_needs_adapter(cfg: Config) -> Iterator[Problem]:
    if cfg.lora_model_dir and cfg.adapter is None:
        yield Problem("lora_model_dir", "lora_model_dir names an adapter to start from, but adapter is empty (a "
                      "full fine-tune): set adapter: lora (or qlora) to keep training that adapter, or remove "
                      "lora_model_dir.")


# What a new LoRA adapter is made from; an adapter continued from lora_model_dir keeps its own adapter_config.json.
_NEW_ADAPTER_KNOBS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_linear",
                      "lora_target_parameters")


@rule
def _adapter_dir_keeps_its_own_settings(cfg: Config) -> Iterator[Problem]:
    """Set beside lora_model_dir, the knobs that shape a new adapter are not read: say so instead of ignoring them."""
    if not cfg.lora_model_dir or cfg.adapter is None:
        return
    for key in _NEW_ADAPTER_KNOBS:
        if key in cfg.model_fields_set:
            yield Problem(key, f"{key} is not read: the adapter continued from lora_model_dir keeps the rank, "
                          "alpha, dropout and layers of its own adapter_config.json. Remove it, or remove "
                          "lora_model_dir to train a new adapter shaped by it.", "warning")
    if cfg.tokens:
        yield Problem("tokens", "the tokens added here get embeddings, but an adapter continued from lora_model_dir "
                      "trains only what its adapter_config.json names, so their embeddings stay as initialised "
                      "unless that adapter was trained with them. Train the adapter with these tokens first, or "
                      "start a new adapter (remove lora_model_dir).", "warning")


@rule
def _pair_fields(cfg: Config) -> Iterator[Problem]:
    for i, ds in enumerate(cfg.datasets):
        if ds.type == "chat_template.default":
            continue
        for key in ("field_chosen", "field_rejected"):
            if key in ds.model_fields_set:
                yield Problem(f"datasets.{i}.{key}", f"{key} is ignored for type {ds.type}; only "
                              "chat_template.default reads it: remove it.", "warning")
