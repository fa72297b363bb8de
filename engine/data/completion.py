"""``type: completion``: raw text, every token learned.

As Axolotl's completion strategy: the text is tokenized with the tokenizer's own special tokens (a BOS where the
tokenizer adds one), EOS is appended unless the text already ends with it, and the tokens are cut into
sequence_len chunks. A row whose text is empty is dropped and counted (Axolotl drops it with a warning): kept, it
would be a lone BOS/EOS row that teaches the model to stop at once. A document is read up to 64 × sequence_len
tokens (Axolotl's max_length for completion) and the rest is dropped and counted: the cut document gets no EOS
(it does not end there), and each row is identical to Axolotl's. Chunks shorter than min_sample_len (a lone
EOS, typically) are dropped later, with every other type's short rows.

One difference, for tokenizers that append EOS themselves: Axolotl's truncation keeps that EOS at the cut; we
cut after it, so no document is taught to stop where it was merely cut.
"""

from __future__ import annotations

from typing import Any

from .errors import fields_of, row_error
from .sources import Rows
from .tokenized import Tokenized, batched

DOCUMENT_CHUNKS = 64  # Axolotl: max_length=cfg.sequence_len * 64 (prompt_strategies/completion.py)


def tokenize_completion(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    field = ds.field or "text"
    out = Tokenized()
    texts: list[str] = []
    origins: list[int] = []
    for index, (row, loc) in enumerate(zip(rows.rows, rows.locs, strict=False)):
        if field not in row:
            raise row_error(loc, f"missing field '{field}' for a completion dataset; the row has "
                            f"{fields_of(row)}. Set field: to the column holding the text.", key="field")
        value = row[field]
        if not isinstance(value, str):
            raise row_error(loc, f"field '{field}' must be text, got {type(value).__name__}.", key="field")
        if not value:
            out.empty_text += 1
            continue
        texts.append(value)
        origins.append(index)
    eos = tokenizer.eos_token_id
    seq = cfg.sequence_len
    longest = DOCUMENT_CHUNKS * seq
    for start, stop in batched(len(texts)):
        encoded = tokenizer(texts[start:stop], add_special_tokens=True)["input_ids"]
        for origin, ids in zip(origins[start:stop], encoded, strict=False):
            if not ids:  # text the tokenizer turns into nothing (Axolotl: "Tokenizer result is empty")
                out.empty_text += 1
                continue
            if eos is not None and ids[-1] != eos:
                ids = [*ids, eos]
            if len(ids) > longest:
                out.cut_documents += 1
                out.cut_tokens += len(ids) - longest
                ids = ids[:longest]
            for i in range(0, len(ids), seq):
                chunk = ids[i:i + seq]
                out.add(chunk, list(chunk), origin)
    return out
