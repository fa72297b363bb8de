"""What a preference trainer sees, per row: the prompt (context, never learned) and the chosen and rejected answers
(or KTO's one completion and its label), decoded from the very token ids the trainer gets, with their counts.

``tunedeck preview`` prints these and ``tunedeck preview --json`` hands them to the editor's dataset preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (part, column of ids) in the order they are shown
_PARTS = (("prompt", "prompt_ids"), ("chosen", "chosen_ids"), ("rejected", "rejected_ids"),
          ("completion", "completion_ids"))


@dataclass
class PairExample:
    parts: list[tuple[str, str, int]]  # (part, decoded text, tokens)
    dataset: int = 0
    label: bool | None = None  # KTO: desirable or not

    @property
    def num_tokens(self) -> int:
        return sum(n for _, _, n in self.parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "preference", "dataset": self.dataset, "num_tokens": self.num_tokens,
                               "parts": [{"part": p, "text": t, "num_tokens": n} for p, t, n in self.parts]}
        if self.label is not None:
            out["label"] = self.label
        return out


def pair_examples(rows: Any, tokenizer: Any, n: int, dataset: int | None = None) -> list[PairExample]:
    picked: list[PairExample] = []
    names = set(rows.column_names)
    for i in range(len(rows)):
        row = rows[i]
        if dataset is not None and row["dataset"] != dataset:
            continue
        parts = [(part, tokenizer.decode(row[col], skip_special_tokens=False, clean_up_tokenization_spaces=False),
                  len(row[col])) for part, col in _PARTS if col in names]
        picked.append(PairExample(parts, row["dataset"], row.get("label")))
        if len(picked) >= n:
            break
    return picked
