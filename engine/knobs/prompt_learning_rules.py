"""Cross-knob rules of the prompt-learning adapters (prompt_tuning, p_tuning, prefix_tuning): which knobs each
reads, and what they cannot go with. Registered into ``rules.check_rules`` on import (rules.py imports it last)."""

from __future__ import annotations

from collections.abc import Iterator

from .adapter import AdapterKnobs
from .config import Config
from .problems import Problem
from .prompt_learning import PROMPT_LEARNING_ADAPTERS, PromptLearningKnobs
from .rule_registry import rule

LORA_KEYS = tuple(key for key in AdapterKnobs.model_fields if key.startswith("lora_"))
# The prompt-learning knobs and the adapters that read them (num_virtual_tokens: all three).
_READERS = {"prompt_tuning_init_text": ("prompt_tuning",), "encoder_hidden_size": ("p_tuning",)}


@rule
def _prompt_learning_keys_unread(cfg: Config) -> Iterator[Problem]:
    for key in sorted(set(PromptLearningKnobs.model_fields) & cfg.model_fields_set):
        readers = _READERS.get(key, PROMPT_LEARNING_ADAPTERS)
        if cfg.adapter not in readers:
            yield Problem(key, f"{key} is ignored: only adapter {' or '.join(readers)} reads it, and adapter is "
                          f"{cfg.adapter or 'empty'}. Set adapter: {readers[0]}, or remove {key}.", "warning")


@rule
def _lora_keys_unread(cfg: Config) -> Iterator[Problem]:
    changed = [key for key in LORA_KEYS if key in cfg.model_fields_set]
    if changed and cfg.adapter in PROMPT_LEARNING_ADAPTERS:
        yield Problem(changed[0], f"{', '.join(changed)} ignored: adapter {cfg.adapter} trains virtual tokens, "
                      "not LoRA layers. Remove them, or set adapter: lora to train a LoRA adapter.", "warning")


@rule
def _prompt_learning_limits(cfg: Config) -> Iterator[Problem]:
    if cfg.adapter not in PROMPT_LEARNING_ADAPTERS:
        return
    if cfg.load_in_8bit:  # load_in_4bit without qlora is refused by rules.py already
        yield Problem("load_in_8bit", f"load_in_8bit is true with adapter {cfg.adapter}: tunedeck trains "
                      "prompt-learning adapters over an unquantized base only. Set load_in_8bit: false, or use "
                      "adapter: lora for an 8-bit base.", "error")
    if cfg.sample_packing:
        yield Problem("sample_packing", f"sample_packing is true with adapter {cfg.adapter}: packed rows are told "
                      "apart by their position ids, and peft drops (prompt_tuning, p_tuning) or shifts "
                      "(prefix_tuning) those ids to make room for the virtual tokens, so packed rows would attend "
                      "to each other. Set sample_packing: false, or use adapter: lora.", "error")


@rule
def _added_tokens_stay_untrained(cfg: Config) -> Iterator[Problem]:
    """peft's prompt-learning adapters train their virtual tokens only: prompt_tuning and p_tuning read the input
    embeddings from the frozen layer (peft's modules_to_save on it gets no gradient there), and neither they nor
    prefix_tuning can train single rows (trainable_token_indices is LoRA's), so a new token's rows never learn."""
    if cfg.adapter not in PROMPT_LEARNING_ADAPTERS or not (cfg.tokens or cfg.special_tokens):
        return
    key = "tokens" if cfg.tokens else "special_tokens"
    named = list(cfg.tokens or ()) or list((cfg.special_tokens or {}).values())
    which = "the tokens it adds" if cfg.tokens else "any special_tokens the tokenizer lacks"
    yield Problem(key, f"adapter {cfg.adapter} trains only its virtual tokens, so {which} ({', '.join(named)}) "
                  "keep their starting embeddings (new_token_init_from's rows, else the mean of the old rows) in "
                  "the input and output layers: the model never learns what they mean. Use adapter: lora (it "
                  "trains just those rows), start them from related words with new_token_init_from, or use "
                  "tokens the tokenizer already has.", "warning")
