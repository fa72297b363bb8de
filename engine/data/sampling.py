"""A dataset entry's sample_rate / num_samples: a seeded random subset of its rows, kept in file order."""

from __future__ import annotations

import random
from typing import Any

from .errors import DataError
from .sources import Rows


def sample_rows(rows: Rows, ds: Any, seed: int, index: int) -> Rows:
    """The rows ``ds`` keeps. ``index`` varies the draw per entry, so two entries reading one file differ."""
    total = len(rows.rows)
    if ds.num_samples is not None:
        keep = min(ds.num_samples, total)
    elif ds.sample_rate is not None:
        keep = round(ds.sample_rate * total)
    else:
        return rows
    if keep >= total:
        return rows
    picked = sorted(random.Random(f"{seed}:{index}").sample(range(total), keep))
    return Rows(rows=[rows.rows[i] for i in picked], locs=[rows.locs[i] for i in picked])


def load_sampled(ref: Any, ds: Any, seed: int, index: int) -> tuple[Rows, int]:
    """Dataset ``index``'s rows, sampled (sample_rate / num_samples), and how many the source held; a source with
    no rows is an error naming it."""
    rows = ref.load()
    if not rows.rows:
        raise DataError(f"dataset {index} ('{ref.label}') has no rows. Check the file (and split/data_files).",
                        file=ref.label if ref.files else None, key=f"datasets.{index}.path")
    return sample_rows(rows, ds, seed, index), len(rows.rows)
