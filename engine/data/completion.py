"""``type: completion``: raw text, every token learned.

Like Axolotl: the text is tokenized with the tokenizer's own special tokens (a BOS where the tokenizer adds
one), EOS is appended unless the text already ends with it, and the tokens are cut into sequence_len chunks.
Deliberate difference: Axolotl appends EOS only when the tokenized text is shorter than its max length; we
always end a document with EOS (the last chunk carries it), so every document teaches where text stops.
"""

from __future__ import annotations

from typing import Any

from .errors import fields_of, row_error
from .sources import Rows
from .tokenized import Tokenized, batched


def tokenize_completion(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    field = ds.field or "text"
    texts = []
    for row, loc in zip(rows.rows, rows.locs):
        if field not in row:
            raise row_error(loc, f"missing field '{field}' for a completion dataset; the row has "
                            f"{fields_of(row)}. Set field: to the column holding the text.", key="field")
        value = row[field]
        if not isinstance(value, str):
            raise row_error(loc, f"field '{field}' must be text, got {type(value).__name__}.", key="field")
        texts.append(value)
    eos = tokenizer.eos_token_id
    seq = cfg.sequence_len
    out = Tokenized()
    for start, stop in batched(len(texts)):
        encoded = tokenizer(texts[start:stop], add_special_tokens=True)["input_ids"]
        for offset, ids in enumerate(encoded):
            if eos is not None and (not ids or ids[-1] != eos):
                ids = ids + [eos]
            for i in range(0, len(ids), seq):
                chunk = ids[i:i + seq]
                out.add(chunk, list(chunk), start + offset)
    return out
