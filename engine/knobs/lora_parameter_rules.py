"""Cross-knob rules of lora_target_parameters (LoRA on parameter tensors): what peft's ParamWrapper refuses.
Registered into ``rules.check_rules`` on import (rules.py imports it last)."""

from __future__ import annotations

from collections.abc import Iterator

from .adapter import target_parameter_names
from .config import Config
from .problems import Problem
from .rule_registry import rule


@rule
def _no_dropout_on_parameters(cfg: Config) -> Iterator[Problem]:
    """peft cannot apply dropout to the input of a parameter's update (it folds B·A into the tensor itself), and
    raises at launch; the dropout setting is shared by every target of the adapter."""
    if cfg.adapter in ("lora", "qlora") and cfg.lora_target_parameters and cfg.lora_dropout > 0:
        yield Problem("lora_dropout", f"lora_dropout is {cfg.lora_dropout:g} with lora_target_parameters: peft "
                      "adds the update to each targeted tensor directly, where dropout has no input to act on, "
                      "and refuses any lora_dropout above 0 (it applies to every target of the adapter). Set "
                      "lora_dropout: 0, or remove lora_target_parameters.", "error")


@rule
def _quantized_layer_weight(cfg: Config) -> Iterator[Problem]:
    """bitsandbytes quantizes linear layers' weights; a name ending in .weight is most likely one of them."""
    if not (cfg.load_in_4bit or cfg.load_in_8bit):
        return
    weights = [name for name in target_parameter_names(cfg.lora_target_parameters) if name.endswith(".weight")]
    if weights:
        bits = "load_in_4bit" if cfg.load_in_4bit else "load_in_8bit"
        yield Problem("lora_target_parameters", f"lora_target_parameters names {', '.join(weights)}, the weight "
                      f"of a linear layer by its name, which {bits} stores quantized; peft cannot add an update to "
                      "a quantized tensor, so the launch stops there. Adapt that layer with lora_target_modules "
                      f"({', '.join(n.removesuffix('.weight') for n in weights)}) instead.", "warning")
