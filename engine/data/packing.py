"""Sample packing: several rows in one sequence_len sample, attention kept apart by position_ids.

Rows are placed with best-fit decreasing (each row, longest first, into the fullest bin it still fits), which
wastes a few percent at most on realistic length mixes. Each packed sample's ``position_ids`` restart at 0 for
every row: transformers 5 (masking_utils.find_packed_sequence_indices) turns restarts into a block-diagonal
causal mask for sdpa/eager/flash when no attention_mask is passed, so rows never attend to each other. The first
label of every row is masked, so no row learns to predict the next row's first token (unpacked, a row's first
label is never used anyway: the loss shifts labels by one).
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort

from .tokenized import IGNORE


def pack_bins(lengths: list[int], capacity: int, seed: int = 0) -> list[list[int]]:
    """Row indices grouped into bins of at most ``capacity`` tokens; bins in a seeded random order."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (free space, bin index), sorted
    for i in order:
        n = lengths[i]
        k = bisect_left(free, (n, -1))
        if k < len(free):
            space, b = free.pop(k)
            bins[b].append(i)
            space -= n
        else:
            bins.append([i])
            b, space = len(bins) - 1, capacity - n
        if space > 0:
            insort(free, (space, b))
    for members in bins:
        members.sort()  # rows keep their data order inside a sample
    random.Random(seed).shuffle(bins)
    return bins


def pack_rows(input_ids: list[list[int]], labels: list[list[int]], capacity: int, seed: int = 0) -> dict[str, list]:
    """Columns input_ids, labels, position_ids of the packed samples."""
    out: dict[str, list] = {"input_ids": [], "labels": [], "position_ids": []}
    for members in pack_bins([len(x) for x in input_ids], capacity, seed):
        ids: list[int] = []
        labs: list[int] = []
        pos: list[int] = []
        for i in members:
            ids += input_ids[i]
            labs += [IGNORE, *labels[i][1:]]
            pos += range(len(input_ids[i]))
        out["input_ids"].append(ids)
        out["labels"].append(labs)
        out["position_ids"].append(pos)
    return out


def efficiency(real_tokens: int, samples: int, capacity: int) -> float:
    return real_tokens / (samples * capacity) if samples else 0.0
