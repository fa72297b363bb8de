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
    segment_tokens: list[int] = field(default_factory=list)  # tokens in each segment

    @property
    def num_trained(self) -> int:
        return sum(n for n, (_, trained) in zip(self.segment_tokens, self.segments, strict=False) if trained)

    def to_json(self) -> dict[str, Any]:
        return {"segments": [{"text": t, "trained": tr, "num_tokens": n}
                             for (t, tr), n in zip(self.segments, self.segment_tokens, strict=False)],
                "num_tokens": self.num_tokens, "num_trained": self.num_trained,
                "num_masked": self.num_tokens - self.num_trained, "dataset": self.dataset}


@dataclass
class PreviewResult:
    stats: dict[str, Any]
    examples: list[Any] = field(default_factory=list)  # Example, or PairExample for preference data

    def to_json(self) -> dict[str, Any]:
        return {"stats": self.stats, "examples": [e.to_json() for e in self.examples]}


def runs(labels: list[int]) -> list[tuple[int, int, bool]]:
    """(start, end, trained) of each run of consecutive tokens that are all trained or all masked."""
    out: list[tuple[int, int, bool]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or (labels[i] != IGNORE) != (labels[start] != IGNORE):
            out.append((start, i, labels[start] != IGNORE))
            start = i
    return out


REPEAT_SHOWN_AS_COUNT = 8  # a special token repeated this often shows once with its count (an image's tokens)


def segments(input_ids: list[int], labels: list[int], tokenizer: Any) -> list[tuple[str, bool]]:
    special = set(getattr(tokenizer, "all_special_ids", ()))
    return [(_decode(input_ids[a:b], tokenizer, special), t) for a, b, t in runs(labels)]


def _decode(ids: list[int], tokenizer: Any, special: set[int]) -> str:
    """The tokens as text; a run of one special token (a vision row's 576 image tokens) as the token ×count."""
    def text(part: list[int]) -> str:
        return tokenizer.decode(part, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    out, start, i = [], 0, 0
    while i < len(ids):
        j = i
        while j < len(ids) and ids[j] == ids[i]:
            j += 1
        if ids[i] in special and j - i >= REPEAT_SHOWN_AS_COUNT:
            out += [text(ids[start:i]), f"{text(ids[i:i + 1])}×{j - i}"]
            start = j
        i = j
    out.append(text(ids[start:]))
    return "".join(out)


def examples_from(prepared: Any, tokenizer: Any, n: int, dataset: int | None = None) -> list[Example]:
    rows = prepared.rows
    picked = []
    for ids, labels, which in zip(rows["input_ids"], rows["labels"], rows["dataset"], strict=False):
        if dataset is None or which == dataset:
            picked.append(Example(segments(ids, labels, tokenizer), len(ids), which,
                                  [b - a for a, b, _ in runs(labels)]))
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
    if cfg.rl or cfg.reward_model:
        from .preview_pairs import pair_examples
        return PreviewResult(stats=prepared.stats, examples=pair_examples(prepared.rows, tokenizer, n, dataset))
    return PreviewResult(stats=prepared.stats, examples=examples_from(prepared, tokenizer, n, dataset))
