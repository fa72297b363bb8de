"""The common result of the per-type tokenizers: token ids, labels and which source row each came from."""

from __future__ import annotations

from dataclasses import dataclass, field

IGNORE = -100  # label of tokens that are not learned (PyTorch's cross-entropy ignore_index)


@dataclass
class Tokenized:
    input_ids: list[list[int]] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)  # index of the source row (a long completion gives several)

    def add(self, ids: list[int], labels: list[int], origin: int) -> None:
        self.input_ids.append(ids)
        self.labels.append(labels)
        self.origin.append(origin)


def batched(n: int, size: int = 1000):
    """Index ranges [start, stop) covering n items in chunks."""
    for start in range(0, n, size):
        yield start, min(n, start + size)
