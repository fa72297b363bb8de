"""``type: input_output``: ``{"segments": [{"label": bool, "text": str}, ...]}``, as Axolotl's.

Segments are tokenized separately (no BOS/EOS added: the data says exactly what the model sees) and joined;
a segment's tokens are learned when its label is true, or always with train_on_inputs.
"""

from __future__ import annotations

from typing import Any

from .errors import fields_of, row_error
from .sources import Rows
from .tokenized import IGNORE, Tokenized, batched


def tokenize_input_output(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    texts: list[str] = []
    trained: list[bool] = []
    bounds: list[tuple[int, int]] = []  # each row's range in texts
    for row, loc in zip(rows.rows, rows.locs, strict=False):
        segments = row.get("segments")
        if not isinstance(segments, list):
            what = "missing field 'segments'" if "segments" not in row else "field 'segments' is not a list"
            raise row_error(loc, f"{what} for an input_output dataset; the row has {fields_of(row)}. Each row must "
                            "be {\"segments\": [{\"label\": true|false, \"text\": \"...\"}, ...]}.")
        first = len(texts)
        for n, seg in enumerate(segments, 1):
            if not isinstance(seg, dict) or not isinstance(seg.get("text"), str) or "label" not in seg:
                has = fields_of(seg) if isinstance(seg, dict) else type(seg).__name__
                raise row_error(loc, f"segment {n} must have 'label' (true/false) and 'text' (a string); it has "
                                f"{has}.")
            texts.append(seg["text"])
            trained.append(bool(seg["label"]) or cfg.train_on_inputs)
        bounds.append((first, len(texts)))
    ids_per_text: list[list[int]] = []
    for start, stop in batched(len(texts), 4000):
        ids_per_text += tokenizer(texts[start:stop], add_special_tokens=False)["input_ids"]
    out = Tokenized()
    for index, (first, last) in enumerate(bounds):
        ids: list[int] = []
        labels: list[int] = []
        for t in range(first, last):
            ids += ids_per_text[t]
            labels += ids_per_text[t] if trained[t] else [IGNORE] * len(ids_per_text[t])
        out.add(ids, labels, index)
    return out
