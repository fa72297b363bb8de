"""dataset_mixing: weighted — the training rows of several sources interleaved by their sampling_weight.

SiloGen finetuning's PRECOMPUTE_WEIGHTED_MIX, which calls ``datasets.interleave_datasets(probabilities=...,
stopping_strategy="all_exhausted", seed=...)`` on map-style datasets. The rule, reproduced here so the prepared
rows are those SiloGen trains on:

* the weights, divided by their sum, are the probabilities of drawing each source;
* the sources are drawn by numpy's ``default_rng(seed).choice(n, size=1000, p=probabilities)``, 1000 draws at a
  time (the chunking is the library's: it fixes which random numbers each draw uses);
* a draw of a source takes that source's next row, starting over at its first row once every row has been taken;
* the mix ends right after the draw that takes the last not-yet-taken row of the last source to run out.

So every row of every source is in the mix at least once, and the rows of the lightly weighted sources' partners
repeat. When every weight is equal the sources take turns instead (no random draws): one row of each source in
order, round after round, until the largest source is through; what interleave_datasets does without
probabilities, which SiloGen uses when all its weights are left at 1.0.
"""

from __future__ import annotations

from typing import Any

from .errors import DataError

DRAWS_PER_CHUNK = 1000


def mixed_order(sizes: list[int], weights: list[float], seed: int) -> list[tuple[int, int]]:
    """The mix as (source, row) pairs: ``row`` indexes the source's own rows, in draw order."""
    if len(set(weights)) == 1:
        return [(source, turn % size) for turn in range(max(sizes)) for source, size in enumerate(sizes)]
    import numpy as np

    total = sum(weights)
    probabilities = [w / total for w in weights]
    rng = np.random.default_rng(seed)
    drawn = [0] * len(sizes)
    left = len(sizes)  # sources with a row not yet taken
    order: list[tuple[int, int]] = []
    while True:
        for source in rng.choice(len(sizes), size=DRAWS_PER_CHUNK, p=probabilities).tolist():
            order.append((source, drawn[source] % sizes[source]))
            drawn[source] += 1
            if drawn[source] == sizes[source]:
                left -= 1
                if left == 0:
                    return order


def mix_indices(train_idx: list[int], which: list[int], weights: list[float], seed: int) -> list[int]:
    """The training rows (indices into the prepared rows) of the weighted mix. ``which[i]`` is row i's dataset
    entry; ``weights[d]`` entry d's sampling_weight. Rows keep their order within their source."""
    by_source: list[list[int]] = [[] for _ in weights]
    for i in train_idx:
        by_source[which[i]].append(i)
    empty = [d for d, rows in enumerate(by_source) if not rows]
    if empty:
        raise DataError(f"dataset {empty[0]} has no training rows left (after the validation split and the rows "
                        "dropped on the way), so weighted mixing cannot draw from it. Remove it, lower "
                        "val_set_size, or use dataset_mixing: concatenate.", key=f"datasets.{empty[0]}.path")
    order = mixed_order([len(rows) for rows in by_source], weights, seed)
    return [by_source[source][row] for source, row in order]


def training_rows(train_idx: list[int], which: list[int], cfg: Any) -> list[int]:
    """The training rows an epoch goes through: ``train_idx`` as it is, or its weighted mix (dataset_mixing)."""
    if cfg.dataset_mixing != "weighted":
        return train_idx
    seed = cfg.seed if cfg.dataset_mixing_seed is None else cfg.dataset_mixing_seed
    return mix_indices(train_idx, which, [ds.sampling_weight for ds in cfg.datasets], seed)


def drawn_per_dataset(train_idx: list[int], which: list[int], cfg: Any) -> list[int] | None:
    """How many rows of the epoch each training dataset gave (the stats' ``mixed_rows``); None unless weighted."""
    if cfg.dataset_mixing != "weighted":
        return None
    drawn = [0] * len(cfg.datasets)
    for i in train_idx:
        drawn[which[i]] += 1
    return drawn
