"""A dataset entry's sample_rate / num_samples: a seeded random subset of its rows, kept in file order."""

from __future__ import annotations

import random
from typing import Any

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
