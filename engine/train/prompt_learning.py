"""peft's prompt-learning adapters (prompt tuning, P-tuning, prefix tuning): virtual tokens trained in front of
every row while the whole base stays frozen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.knobs.config import Config

# peft_type in a saved adapter_config.json: these adapters add no weights to merge into the base.
PROMPT_LEARNING_PEFT_TYPES = ("PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING")


def prompt_learning_config(cfg: Config, tokenizer_source: str, hidden_size: int) -> Any:
    """The peft config for ``cfg.adapter``; ``tokenizer_source`` tokenizes prompt_tuning_init_text, ``hidden_size``
    (the model's) is P-tuning's encoder width when encoder_hidden_size is empty."""
    from peft import PrefixTuningConfig, PromptEncoderConfig, PromptTuningConfig, PromptTuningInit

    common: dict[str, Any] = dict(task_type="CAUSAL_LM", num_virtual_tokens=cfg.num_virtual_tokens)
    if cfg.adapter == "prompt_tuning":
        if cfg.prompt_tuning_init_text:
            return PromptTuningConfig(**common, prompt_tuning_init=PromptTuningInit.TEXT,
                                      prompt_tuning_init_text=cfg.prompt_tuning_init_text,
                                      tokenizer_name_or_path=tokenizer_source)
        return PromptTuningConfig(**common, prompt_tuning_init=PromptTuningInit.RANDOM)
    if cfg.adapter == "p_tuning":
        return PromptEncoderConfig(**common, encoder_hidden_size=cfg.encoder_hidden_size or hidden_size)
    if cfg.adapter == "prefix_tuning":
        return PrefixTuningConfig(**common)
    raise ValueError(f"{cfg.adapter} is not a prompt-learning adapter")


def add_prompt_learning(cfg: Config, model: Any, tokenizer_source: str) -> Any:
    from peft import get_peft_model

    if cfg.gradient_checkpointing:  # the frozen embeddings give no grad, so checkpointed blocks would get none
        model.enable_input_require_grads()
    return get_peft_model(model, prompt_learning_config(cfg, tokenizer_source, model.config.hidden_size))
