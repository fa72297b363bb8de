"""Where the embeddings of tokens the preset adds start (turbo-alignment's embeddings_initialization_strategy).
tunedeck's own: Axolotl only offers mean_resizing_embeddings, one start for every new token."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from .base import Section, knob


class TokenInitKnobs(BaseModel, defer_build=True):
    new_token_init_from: dict[str, str] | None = knob(
        None, section=Section.MODEL, axolotl=False,
        summary="Start a new token's embedding at an existing token's, or at the mean of a phrase's tokens.",
        what="A mapping new token → existing text, e.g. {'<RS>': '<s>', '<bot>': 'the assistant'}. Keys are "
        "tokens this preset adds (tokens or special_tokens). The text is tokenized: one token gives its input "
        "and output embedding rows to the new token; a phrase gives the mean of its tokens' rows. New tokens "
        "left out start at the mean of all rows. tunedeck's own key (turbo-alignment's "
        "embeddings_initialization_strategy); Axolotl ignores it.",
        cost="None at run time. A related start lets a new marker act sensibly from step one, so few examples "
        "teach it; a wrong one must be unlearned.",
        typical="Empty. Map format markers to similar tokens: a turn start to BOS, a turn end to EOS.",
        interacts=("tokens", "special_tokens", "adapter"),
    )

    @field_validator("new_token_init_from")
    @classmethod
    def _no_empty_text(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        empty = [k for k, v in value.items() if not k or not v.strip()]
        if empty:
            raise ValueError(f"new_token_init_from: {', '.join(map(repr, empty))} has no token or no text to start "
                             "from: give each new token an existing token or a phrase, or remove the entry")
        return value
