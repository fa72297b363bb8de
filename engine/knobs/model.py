"""Model knobs: which weights and tokenizer to start from, and how to load them."""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, field_validator, model_validator

from engine.attention import is_hub_kernel

from .base import Section, knob

S = Section.MODEL

AttnImplementation = Literal["eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention", "xformers"]

# The named special tokens a tokenizer knows about (transformers' SPECIAL_TOKENS_ATTRIBUTES).
SPECIAL_TOKEN_NAMES = (
    "bos_token", "eos_token", "pad_token", "unk_token", "sep_token", "cls_token", "mask_token",
)


class ModelKnobs(BaseModel, defer_build=True):
    base_model: str | None = knob(
        None, section=S, shapes_data=True, path="model", basic=True,
        summary="The pretrained model to fine-tune: a Hugging Face id or a local folder.",
        what="The starting weights, tokenizer and architecture. Give a Hub id such as "
        "meta-llama/Meta-Llama-3-8B-Instruct or a folder holding config.json, the weights and the tokenizer. "
        "Everything else in the preset is tuned around this choice.",
        cost="Bigger models learn more but need more memory (about 2 bytes per parameter in bf16 just for the "
        "weights, plus gradients and optimizer state when every weight trains) and are slower per step. "
        "An adapter with a quantized base (qlora) is how large models fit on one GPU.",
        typical="An instruct model (…-Instruct, …-chat) when you fine-tune for chat; a base model when you "
        "teach new text or a new format from scratch. 7–8B with qlora fits a 24 GB GPU.",
        interacts=("adapter", "load_in_4bit", "chat_template", "tokenizer_config", "trust_remote_code"),
    )
    base_model_config: str | None = knob(
        None, section=S, shapes_data=True, path="model",
        summary="Where to read the model's config.json from, when it differs from base_model.",
        what="A Hub id or folder whose config.json describes the architecture, used instead of the one in "
        "base_model. Needed only for unusual checkpoints that ship weights without a usable config.",
        cost="Nothing at run time; a config that does not match the weights fails to load or loads garbage.",
        typical="Leave empty: base_model's own config is used.",
        interacts=("base_model",),
    )
    tokenizer_config: str | None = knob(
        None, section=S, shapes_data=True, path="model",
        summary="Where to load the tokenizer from, when it differs from base_model.",
        what="A Hub id or folder to take the tokenizer (vocabulary, special tokens, chat template) from instead "
        "of base_model. Useful when a base model lacks a chat template that a sibling instruct model has.",
        cost="A tokenizer whose vocabulary differs from the model's produces meaningless ids; only swap in a "
        "tokenizer of the same model family.",
        typical="Leave empty. Set it to the instruct sibling's id when training a base model on its chat format.",
        interacts=("base_model", "chat_template", "special_tokens"),
    )
    processor_type: str | None = knob(
        None, section=S, shapes_data=True,
        summary="Train a vision-language model: the processor class that turns images and text into its inputs.",
        what="Set it (AutoProcessor, as in Axolotl's examples) to fine-tune a model that reads images, such as "
        "LLaVA, Qwen2-VL, Pixtral or Llama 3.2 Vision. The model then loads as an image-text-to-text model with "
        "its processor, and chat_template datasets may carry images: a message's content is a list of parts "
        "({type: text, text: ...} and {type: image}), and the row's images column lists the pictures in order "
        "(file paths beside the data file, or the images of a Hub dataset). Each image becomes the model's image "
        "tokens, which are never learned; only the trained turns' text is.",
        cost="An image costs hundreds to thousands of tokens (576 for LLaVA 1.5 at 336 px; Qwen2-VL grows with "
        "the picture's size), so sequence_len must hold them: a longer row is dropped, never cut. No "
        "sample_packing, preference tuning or streamed data with it; the vision tower's weights stay frozen "
        "under LoRA when lora_target_linear is set (only the language model's layers get adapters).",
        typical="Leave empty for text models. AutoProcessor for a vision-language model, with chat_template set "
        "to the model's (llava, qwen2_vl, pixtral, llama3_2_vision) or tokenizer_default.",
        interacts=("base_model", "chat_template", "sequence_len", "sample_packing", "lora_target_linear",
                   "datasets.type"),
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*Processor$",
    )
    revision_of_model: str | None = knob(
        None, section=S, shapes_data=True, aliases=("model_revision",),
        summary="A branch, tag or commit of base_model to pin, so reruns use the same weights.",
        what="Selects a specific version of a Hub model (a branch name, tag or commit hash) instead of the "
        "newest on the main branch. Ignored for local folders.",
        cost="None; pinning a commit makes runs reproducible when the repository changes later.",
        typical="Empty (main), or a 40-character commit hash for reproducible experiments.",
        interacts=("base_model",),
    )
    trust_remote_code: bool = knob(
        False, section=S, shapes_data=True,
        summary="Allow running Python code that ships inside the model repository.",
        what="Some models define their architecture in Python files inside the repository; loading them "
        "runs that code on your machine. Off means only architectures built into transformers load.",
        cost="A security risk: the repository's code runs with your permissions. Turn on only for repositories "
        "you trust.",
        typical="false. true only for models whose card says it is required.",
        interacts=("base_model",),
    )
    attn_implementation: AttnImplementation | str | None = knob(
        None, section=S,
        summary="Attention kernel: sdpa (default), eager, flash_attention_2/3, flex_attention, or a hub kernel.",
        what="Which code computes attention. sdpa is PyTorch's fused kernel and the default; "
        "flash_attention_2/3 need the flash-attn package and a recent NVIDIA GPU; eager is the plain reference "
        "implementation; flex_attention is PyTorch's compiled, mask-programmable kernel. Axolotl's xformers "
        "trains with sdpa here (transformers has no xformers attention). A kernel from the Hugging Face kernel "
        "hub (kernels-community/NAME, e.g. kernels-community/vllm-flash-attn3) is downloaded and run by "
        "transformers through the kernels package on a CUDA GPU; without one, sdpa is used.",
        cost="eager builds the full attention matrix: memory grows with sequence_len squared and it is the "
        "slowest. flash_attention_2 uses the least memory and is fastest for long sequences and packing, "
        "but does not run on CPU or older GPUs.",
        typical="flash_attention_2 on Ampere or newer GPUs with flash-attn installed; sdpa otherwise "
        "(and on CPU).",
        interacts=("sample_packing", "sequence_len", "flash_attention", "sdp_attention"),
    )
    flash_attention: bool | None = knob(
        None, section=S,
        summary="Legacy switch for attn_implementation: flash_attention_2.",
        what="Axolotl's older spelling: true means attn_implementation flash_attention_2. Kept so old "
        "configs load; write attn_implementation in new presets.",
        cost="Same as flash_attention_2: least memory and fastest on supported GPUs, unavailable on CPU.",
        typical="Leave empty and use attn_implementation.",
        interacts=("attn_implementation", "sdp_attention", "sample_packing"),
    )
    sdp_attention: bool | None = knob(
        None, section=S,
        summary="Legacy switch for attn_implementation: sdpa.",
        what="Axolotl's older spelling: true means attn_implementation sdpa (PyTorch scaled dot-product "
        "attention). Kept so old configs load; write attn_implementation in new presets.",
        cost="Same as sdpa: fused and memory-efficient, runs everywhere.",
        typical="Leave empty and use attn_implementation.",
        interacts=("attn_implementation", "flash_attention"),
    )
    special_tokens: dict[str, str] | None = knob(
        None, section=S, shapes_data=True,
        summary="Set special tokens (bos_token, eos_token, pad_token, unk_token) on the tokenizer.",
        what="Overrides the tokenizer's named special tokens, e.g. {pad_token: '<|finetune_pad|>'} or an "
        "eos_token matching the chat template's end-of-turn. A token not in the vocabulary is added, and "
        "the embedding matrix grows by one row for it.",
        cost="New tokens start with untrained embeddings; with an adapter those rows do not learn unless the "
        "embeddings are trained too. A wrong eos_token makes the model never stop generating.",
        typical="Often just a pad_token for models that ship without one (Llama 3 base). Keys: bos_token, "
        "eos_token, pad_token, unk_token, sep_token, cls_token, mask_token.",
        interacts=("tokens", "chat_template", "eot_tokens", "datasets.train_on_eos"),
    )
    tokens: list[str] | None = knob(
        None, section=S, shapes_data=True,
        summary="New tokens to add to the vocabulary; the embeddings are resized to fit.",
        what="Plain (non-special) tokens added to the tokenizer, e.g. markers of your own format, so each "
        "becomes a single id instead of several pieces. The model's embedding and output matrices are "
        "resized to fit. A mapping here ({pad_token: ...}, as older Axolotl configs wrote it) is read as "
        "special_tokens.",
        cost="Every new token starts untrained and needs enough examples to learn a meaning; with a LoRA "
        "adapter alone the new rows stay random. Adds a little memory per token.",
        typical="Empty. A handful of format markers at most.",
        interacts=("special_tokens", "adapter"),
    )

    @model_validator(mode="before")
    @classmethod
    def _tokens_mapping_is_special_tokens(cls, data: Any) -> Any:
        """Older Axolotl configs give tokens as a mapping of special tokens ({pad_token: ...}): read them as
        special_tokens (special_tokens' own entries win)."""
        if isinstance(data, dict) and isinstance(data.get("tokens"), dict) \
                and isinstance(data.get("special_tokens") or {}, dict):
            data = dict(data)
            named = data.pop("tokens")
            data["special_tokens"] = {**named, **(data.get("special_tokens") or {})}
        return data

    @field_validator("attn_implementation")
    @classmethod
    def _named_or_hub_kernel(cls, value: str | None) -> str | None:
        if value is None or value in typing.get_args(AttnImplementation) or is_hub_kernel(value):
            return value
        raise ValueError(
            f"attn_implementation '{value}' is neither a known kernel "
            f"({', '.join(typing.get_args(AttnImplementation))}) "
            "nor a kernel from the Hugging Face kernel hub (kernels-community/NAME): use one of those, or remove it"
        )

    @field_validator("special_tokens")
    @classmethod
    def _known_special_tokens(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        unknown = [k for k in value if k not in SPECIAL_TOKEN_NAMES]
        if unknown:
            raise ValueError(
                f"unknown special token name(s) {', '.join(map(repr, unknown))}: use only "
                f"{', '.join(SPECIAL_TOKEN_NAMES)}; put other new tokens in 'tokens' instead"
            )
        empty = [k for k, v in value.items() if not v]
        if empty:
            raise ValueError(f"special token(s) {', '.join(empty)} are empty: give the token text or remove the key")
        return value

    @field_validator("tokens")
    @classmethod
    def _nonempty_tokens(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not t for t in value):
            raise ValueError("tokens holds an empty string: remove it, every new token needs some text")
        return value
