"""The pad-token knob: which existing token stands in as padding when the tokenizer ships without one
(SiloGen finetuning's missing_pad_token_strategy). tunedeck's own: Axolotl only sets special_tokens.pad_token."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

MissingPadTokenStrategy = Literal["eos-repurpose", "bos-repurpose", "unk-repurpose", "unk-convert-to-eos"]


class PadTokenKnobs(BaseModel, defer_build=True):
    missing_pad_token_strategy: MissingPadTokenStrategy = knob(
        "eos-repurpose", section=Section.MODEL, axolotl=False, shapes_data=True,
        summary="When the tokenizer has no pad token: reuse EOS, BOS or UNK as padding (or UNK shown as EOS).",
        what="Only read when the tokenizer has no pad token and special_tokens sets none. eos-repurpose pads "
        "with EOS; bos-repurpose with BOS; unk-repurpose with UNK; unk-convert-to-eos sets the pad token to UNK "
        "but the collator fills input-side padding with EOS (labels stay ignored). Padding is never trained on.",
        cost="No new embedding row. eos-repurpose can hurt: tools that mask the pad id in labels then never "
        "teach EOS (tunedeck masks by position, but inference code may not), so models may not stop. BOS is "
        "never predicted, so reusing it is safer; UNK suits byte-fallback tokenizers that never emit it. With "
        "unk-convert-to-eos the saved tokenizer keeps UNK as its pad token.",
        typical="eos-repurpose (the common default); bos-repurpose when the model must learn to stop and has "
        "no separate end-of-turn token; SiloGen's default is bos-repurpose.",
        interacts=("special_tokens", "datasets.train_on_eos"),
    )
