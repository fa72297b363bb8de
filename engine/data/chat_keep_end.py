"""``keep_dialogue_end``: a conversation longer than sequence_len keeps its end, whole messages cut from its start.

turbo-alignment's keep_end rule (its CUT: keep the last ``max_tokens_count`` tokens, cutting off the first message
that no longer fits whole), with a leading system message kept, as the brief of issue 14 asks: the answers at the
end of a dialogue are what the row is for, and the system message frames all of them."""

from __future__ import annotations

from collections.abc import Callable

TokenizeOne = Callable[[list[dict]], tuple[list[int], list[int]]]


def keep_end(conv: list[dict], limit: int, tokenize_one: TokenizeOne) -> tuple[list[int], list[int]] | None:
    """The ids and labels of the longest tail of ``conv`` (after its system message, if any) that fits in
    ``limit`` tokens, cut at a message boundary; None when even the last message does not fit (the row is then
    left to excess_length_strategy)."""
    head = conv[:1] if conv and conv[0]["role"] == "system" else []
    body = conv[len(head):]
    for first in range(1, len(body)):
        ids, labels = tokenize_one(head + body[first:])
        if len(ids) <= limit:
            return ids, labels
    return None
