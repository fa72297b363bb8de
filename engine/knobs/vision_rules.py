"""Cross-knob rules of a vision-language run (``processor_type`` set): what it trains on (chat_template rows with
images), what it cannot go with, and the vision chat templates that need it.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule

# Axolotl's chat templates for vision-language models (engine.data.templates.VISION_TEMPLATES, kept here by name
# so the rules import no data code).
VISION_TEMPLATE_NAMES = ("llava", "pixtral", "qwen2_vl", "llama3_2_vision")


@rule
def _vision(cfg: Config) -> Iterator[Problem]:
    if not cfg.processor_type:
        yield from _vision_templates_need_a_processor(cfg)
        return
    why = "a vision-language run (processor_type is set)"
    if cfg.sample_packing:
        yield Problem("sample_packing", f"sample_packing is on, but {why} keeps each row with its images: packed "
                      "rows would mix images across rows (Axolotl refuses it too). Set sample_packing: false.")
    if cfg.excess_length_strategy == "truncate":
        yield Problem("excess_length_strategy", f"excess_length_strategy is truncate, but in {why} a cut row could "
                      "end inside an image's tokens, which the model cannot read. Set excess_length_strategy: drop "
                      "(rows longer than sequence_len are left out and counted), or raise sequence_len.")
    if cfg.rl or cfg.reward_model:
        what = f"rl: {cfg.rl}" if cfg.rl else "reward_model"
        yield Problem("processor_type", f"{what} is set beside processor_type: tunedeck trains vision-language models "
                      "with supervised fine-tuning only. Remove processor_type, or train without "
                      f"{'rl' if cfg.rl else 'reward_model'}.")
    if cfg.sample_answers:
        yield Problem("sample_answers", f"sample_answers is set, but in {why} the evaluation rows' answers would be "
                      "generated without their images: tunedeck does not sample them there yet. Set sample_answers: "
                      "0, and try the trained model on pictures after the run.")
    if cfg.pretraining_dataset:
        yield Problem("pretraining_dataset", f"pretraining_dataset streams plain text, which {why} does not read: "
                      "remove it and give chat_template datasets whose rows carry images.")
    for key, entries in (("datasets", cfg.datasets), ("test_datasets", cfg.test_datasets)):
        for index, entry in enumerate(entries):
            if entry.type != "chat_template":
                yield Problem(f"{key}.{index}.type", f"type '{entry.type}' is not read in {why}: its rows are "
                              "conversations with images, so use type: chat_template (messages whose content lists "
                              "text and image parts, and an images column).")


def _vision_templates_need_a_processor(cfg: Config) -> Iterator[Problem]:
    named = [("chat_template", cfg.chat_template)]
    named += [(f"datasets.{i}.chat_template", ds.chat_template) for i, ds in enumerate(cfg.datasets)]
    for key, name in named:
        if name in VISION_TEMPLATE_NAMES:
            yield Problem(key, f"chat template '{name}' is for a vision-language model, whose messages carry "
                          "images: set processor_type: AutoProcessor so the model loads with its image processor "
                          "(as Axolotl's vision examples do), or pick a text template for a text model.")
