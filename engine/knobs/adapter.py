"""Adapter & quantization knobs: train all weights, or a small LoRA adapter over a (quantized) frozen base."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.ADAPTER
_REGEX_CHARS = "*+?[](){}|^$\\"


class AdapterKnobs(BaseModel, defer_build=True):
    adapter: Literal["lora", "qlora", "prompt_tuning", "p_tuning", "prefix_tuning"] | None = knob(
        None, section=S, basic=True,
        summary="Train a LoRA adapter (lora, qlora over a 4-bit base) or virtual tokens (prompt_tuning, p_tuning, "
        "prefix_tuning); empty trains every weight.",
        what="Empty: full fine-tuning, every weight is trained. lora: the base stays frozen and small "
        "low-rank matrices are trained beside chosen layers; the result is a small adapter you can merge "
        "later. qlora: the same, with the frozen base loaded in 4-bit (needs load_in_4bit: true). "
        "prompt_tuning, p_tuning, prefix_tuning: peft's prompt-learning adapters, tunedeck's own values "
        "(Axolotl takes lora/qlora only); learned virtual tokens lead every row (see num_virtual_tokens), and "
        "they cannot be merged into the base.",
        cost="Full fine-tuning needs memory for weights, gradients and optimizer state of every parameter "
        "(~16 bytes/parameter with AdamW). LoRA needs the frozen weights plus a tiny trainable part; qlora "
        "shrinks the frozen weights ~4× further at some speed cost. Prompt-learning adapters train the fewest "
        "parameters of all, but learn less than LoRA and usually want a higher learning_rate (1e-3 to 3e-2).",
        typical="qlora to fit 7–13B models on one 24 GB GPU; lora when the bf16 base fits; empty for small "
        "models or when the most quality matters; prompt_tuning or prefix_tuning for a very light task "
        "adapter (or to match turbo-alignment's peft_settings).",
        interacts=("load_in_4bit", "load_in_8bit", "lora_r", "lora_alpha", "lora_target_modules",
                   "lora_target_linear", "learning_rate", "num_virtual_tokens", "prompt_tuning_init_text",
                   "encoder_hidden_size", "sample_packing"),
    )
    load_in_8bit: bool = knob(
        False, section=S,
        summary="Load the frozen base model in 8-bit (bitsandbytes); needs an adapter.",
        what="Stores the frozen base weights as 8-bit integers (bitsandbytes LLM.int8), with a lora adapter "
        "trained on top in higher precision.",
        cost="About half the weight memory of bf16, but slower than both bf16 and 4-bit per step. Quantized "
        "weights cannot be trained, so it only works with an adapter.",
        typical="false; prefer qlora (4-bit) when memory is tight.",
        interacts=("adapter", "load_in_4bit"),
    )
    load_in_4bit: bool = knob(
        False, section=S, basic=True,
        summary="Load the frozen base model in 4-bit NF4 (bitsandbytes); needed by qlora.",
        what="Stores the frozen base weights in 4-bit NF4 (bitsandbytes), computing in bf16/fp16. This is "
        "what makes an adapter qlora; it goes with adapter: qlora.",
        cost="About a quarter of the bf16 weight memory, so an 8B model's weights take ~5.5 GB; each step is "
        "somewhat slower (dequantizing) and quality is a bit below lora on a bf16 base.",
        typical="true with adapter: qlora, false otherwise.",
        interacts=("adapter", "load_in_8bit", "bf16", "val_set_size"),
    )
    lora_r: int = knob(
        8, section=S, basic=True, ge=1,
        summary="Rank of the LoRA update matrices: the adapter's capacity.",
        what="Each adapted layer learns its change as the product of two thin matrices of this inner "
        "width. Higher rank lets the adapter express more, approaching a full fine-tune.",
        cost="Trainable parameters, adapter size and optimizer memory grow linearly with r; speed barely "
        "changes. With lora_alpha fixed, raising r lowers the scale alpha/r of each update.",
        typical="8–64; 16 is a good start, 64+ for large domain shifts.",
        interacts=("lora_alpha", "lora_target_modules", "lora_target_linear", "adapter"),
    )
    lora_alpha: int = knob(
        16, section=S, basic=True, ge=1,
        summary="LoRA scaling: the update is multiplied by lora_alpha / lora_r.",
        what="The adapter's output is multiplied by lora_alpha / lora_r before it is added to the layer. "
        "Holding that ratio steady lets you change r without retuning the learning rate.",
        cost="No memory or speed cost. A larger ratio acts like a larger learning rate for the adapter.",
        typical="2 × lora_r (e.g. r 16, alpha 32), or equal to lora_r.",
        interacts=("lora_r", "learning_rate"),
    )
    lora_dropout: float = knob(
        0.0, section=S, ge=0, lt=1,
        summary="Dropout on the LoRA path during training.",
        what="Randomly zeroes this fraction of the adapter's input during training, a regulariser against "
        "overfitting small datasets.",
        cost="Negligible compute. Too high slows learning.",
        typical="0.0–0.1; 0.05 is common (0 with lora_target_parameters, which peft requires).",
        interacts=("lora_r", "adapter", "lora_target_parameters"),
    )
    lora_target_modules: list[str] | str | None = knob(
        None, section=S,
        summary="The layers that get adapters: a list of names (q_proj, v_proj), or one regex string.",
        what="A list names layers by the end of each module's name: for Llama/Mistral the attention layers are "
        "q_proj, k_proj, v_proj, o_proj and the MLP layers gate_proj, up_proj, down_proj. A single string is a "
        "regex (as in PEFT) that must match a module's full name, such as .*\\.(q|v)_proj; all-linear means "
        "every linear layer. Set this or lora_target_linear.",
        cost="More targeted layers = more trainable parameters and memory, usually better quality; "
        "attention-only (q_proj, v_proj) is the lightest.",
        typical="All seven projection layers as a list, or just use lora_target_linear: true.",
        interacts=("lora_target_linear", "lora_target_parameters", "lora_r", "adapter"),
    )
    lora_target_linear: bool = knob(
        False, section=S, basic=True,
        summary="Put adapters on every linear layer (except the output head).",
        what="Targets every linear layer of the model with LoRA (attention and MLP projections), leaving out "
        "the output head, so you need not know the layer names.",
        cost="The most trainable parameters for a given r, and usually the best adapter quality; a little more "
        "memory and time than attention-only targets.",
        typical="true for qlora and most lora runs.",
        interacts=("lora_target_modules", "lora_target_parameters", "lora_r", "adapter"),
    )
    lora_target_parameters: list[str] | str | None = knob(
        None, section=S,
        summary="Parameter tensors that get LoRA by name, such as a mixture-of-experts model's fused expert "
        "weights.",
        what="In transformers 5 the experts of MoE models (Qwen3-MoE, Mixtral, Gemma 4, GPT-OSS and kin) are "
        "single 3-D tensors, not linear layers, so lora_target_modules cannot reach them: list them here, e.g. "
        "experts.gate_up_proj. Each name matches a parameter's full name or its dotted ending (never a regex), "
        "and peft (0.17 or newer) trains one low-rank update per expert beside the tensor. It goes alone or "
        "with lora_target_modules / lora_target_linear for the linear layers; tunedeck merge folds it into the "
        "base like any LoRA.",
        cost="Each tensor adds r × experts × (in + out) trainable parameters, far more than attention-only "
        "LoRA on a large MoE, and every forward builds the updated tensor once, a weight-sized temporary. peft "
        "refuses lora_dropout above 0 here and a quantized tensor; under load_in_4bit the expert tensors stay "
        "16-bit (bitsandbytes quantizes linear layers only). tunedeck estimate counts it for dense 2-D weights "
        "and does not estimate MoE models.",
        typical="Empty for dense models; [experts.gate_up_proj, experts.down_proj] (mlp.experts.… on some "
        "models) for MoE models, with lora_dropout: 0 and the attention layers in lora_target_modules.",
        interacts=("lora_target_modules", "lora_target_linear", "lora_dropout", "lora_r", "adapter",
                   "load_in_4bit"),
    )

    @field_validator("lora_target_parameters")
    @classmethod
    def _parameter_names(cls, value: list[str] | str | None) -> list[str] | str | None:
        if value is None:
            return value
        names = target_parameter_names(value)
        if not names:
            raise ValueError("lora_target_parameters is an empty list: name parameter tensors such as "
                             "experts.gate_up_proj, or remove it")
        for name in names:
            if not name.strip():
                raise ValueError("lora_target_parameters holds an empty name: remove it or write a parameter "
                                 "name like experts.down_proj")
            if set(name) & set(_REGEX_CHARS):
                raise ValueError(f"lora_target_parameters '{name}' looks like a regex, but peft matches these "
                                 "names exactly or by their dotted ending: write the parameter's name, such as "
                                 "experts.gate_up_proj (the layer index is not needed)")
        return value

    @field_validator("lora_target_modules")
    @classmethod
    def _module_names(cls, value: list[str] | str | None) -> list[str] | str | None:
        if value is None:
            return value
        if isinstance(value, str):
            if not value.strip():
                raise ValueError(
                    "lora_target_modules is empty text: list layers such as [q_proj, v_proj], write one regex "
                    "over module names, or remove it and set lora_target_linear: true"
                )
            _check_regex(value, "lora_target_modules")
            return value
        if not value:
            raise ValueError(
                "lora_target_modules is an empty list: name layers such as q_proj and v_proj, "
                "or remove it and set lora_target_linear: true"
            )
        if any(not m.strip() for m in value):
            raise ValueError("lora_target_modules holds an empty name: remove it or write a layer name like q_proj")
        for name in value:  # Axolotl compiles each entry as a regex too, and refuses the file when one fails
            _check_regex(name, "lora_target_modules")
        return value


def _check_regex(pattern: str, key: str) -> None:
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValueError(
            f"{key} '{pattern}' is not a valid regular expression ({err}): fix the pattern, or write plain "
            "layer names as a list such as [q_proj, v_proj]"
        ) from None


def target_parameter_names(value: list[str] | str | None) -> list[str]:
    """lora_target_parameters as the list peft takes (a single string is one name, as Axolotl reads it)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
