"""Model knobs: which weights and tokenizer to start from, and how to load them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.MODEL

AttnImplementation = Literal["eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention"]


class ModelKnobs(BaseModel):
    base_model: str | None = knob(
        None, section=S, basic=True,
        summary="The pretrained model to fine-tune: a Hugging Face id or a local folder.",
    )
    base_model_config: str | None = knob(
        None, section=S,
        summary="Where to read the model's config.json from, when it differs from base_model.",
    )
    tokenizer_config: str | None = knob(
        None, section=S,
        summary="Where to load the tokenizer from, when it differs from base_model.",
    )
    revision_of_model: str | None = knob(
        None, section=S, aliases=("model_revision",),
        summary="A branch, tag or commit of base_model to pin, so reruns use the same weights.",
    )
    trust_remote_code: bool = knob(
        False, section=S,
        summary="Allow running Python code that ships inside the model repository.",
    )
    attn_implementation: AttnImplementation | None = knob(
        None, section=S,
        summary="Attention kernel: sdpa (default), eager, flash_attention_2/3 or flex_attention.",
    )
    flash_attention: bool | None = knob(
        None, section=S,
        summary="Legacy switch for attn_implementation: flash_attention_2.",
    )
    sdp_attention: bool | None = knob(
        None, section=S,
        summary="Legacy switch for attn_implementation: sdpa.",
    )
    special_tokens: dict[str, str] | None = knob(
        None, section=S,
        summary="Set special tokens (bos_token, eos_token, pad_token, unk_token) on the tokenizer.",
    )
    tokens: list[str] | None = knob(
        None, section=S,
        summary="New tokens to add to the vocabulary; the embeddings are resized to fit.",
    )
