"""What the model will see: examples as runs of trained / masked text, plus the dataset totals."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .tokenized import IGNORE


@dataclass
class Example:
    segments: list[tuple[str, bool]]  # (text, trained), consecutive tokens with the same flag decoded together
    num_tokens: int
    dataset: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"segments": [{"text": t, "trained": tr} for t, tr in self.segments], "num_tokens": self.num_tokens,
                "dataset": self.dataset}


@dataclass
class PreviewResult:
    stats: dict[str, Any]
    examples: list[Example] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"stats": self.stats, "examples": [e.to_json() for e in self.examples]}


def segments(input_ids: list[int], labels: list[int], tokenizer: Any) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(input_ids) + 1):
        if i == len(input_ids) or (labels[i] != IGNORE) != (labels[start] != IGNORE):
            text = tokenizer.decode(input_ids[start:i], skip_special_tokens=False,
                                    clean_up_tokenization_spaces=False)
            out.append((text, labels[start] != IGNORE))
            start = i
    return out


def examples_from(prepared: Any, tokenizer: Any, n: int, dataset: int | None = None) -> list[Example]:
    rows = prepared.rows
    picked = []
    for ids, labels, which in zip(rows["input_ids"], rows["labels"], rows["dataset"]):
        if dataset is None or which == dataset:
            picked.append(Example(segments(ids, labels, tokenizer), len(ids), which))
            if len(picked) >= n:
                break
    return picked


def preview(cfg: Any, preset_path: str | os.PathLike[str] | None = None, n: int = 5, dataset: int | None = None,
            tokenizer: Any = None) -> PreviewResult:
    """Prepare (or load from the cache) the data and return the first ``n`` kept rows (of one dataset entry)."""
    from .errors import DataError
    from .prepare import prepare_datasets
    from .tokenizer import prepare_tokenizer

    if dataset is not None and not 0 <= dataset < len(cfg.datasets):
        raise DataError(f"--dataset {dataset} does not exist: the preset has {len(cfg.datasets)} dataset "
                        f"entries (0 to {len(cfg.datasets) - 1}).", key="datasets")
    tokenizer = tokenizer or prepare_tokenizer(cfg, preset_path)
    prepared = prepare_datasets(cfg, tokenizer, preset_path)
    return PreviewResult(stats=prepared.stats, examples=examples_from(prepared, tokenizer, n, dataset))
