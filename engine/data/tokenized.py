"""The common result of the per-type tokenizers: token ids, labels and which source row each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

IGNORE = -100  # label of tokens that are not learned (PyTorch's cross-entropy ignore_index)


@dataclass
class Tokenized:
    input_ids: list[list[int]] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)  # index of the source row (a long completion gives several)
    empty_text: int = 0  # source rows with no text, dropped (completion)
    cut_documents: int = 0  # documents cut at the longest length read (completion: 64 × sequence_len)
    cut_tokens: int = 0  # tokens past those cuts, never trained
    truncated: int = 0  # rows the type cut to sequence_len itself (prompt_answer keeps the end)

    def add(self, ids: list[int], labels: list[int], origin: int) -> None:
        self.input_ids.append(ids)
        self.labels.append(labels)
        self.origin.append(origin)

    def extend(self, other: Tokenized) -> None:
        self.input_ids += other.input_ids
        self.labels += other.labels
        self.origin += other.origin
        self.empty_text += other.empty_text
        self.cut_documents += other.cut_documents
        self.cut_tokens += other.cut_tokens
        self.truncated += other.truncated


def count_trained(labels: list[list[int]]) -> int:
    """Trained tokens: labels that are not IGNORE, exactly what an export shows. (A row's first label is in the
    count although the loss never predicts it: it has no token before it.)"""
    return sum(len(row) - row.count(IGNORE) for row in labels)


def batched(n: int, size: int = 1000):
    """Index ranges [start, stop) covering n items in chunks."""
    for start in range(0, n, size):
        yield start, min(n, start + size)
