"""Tokenizing one dataset entry in several processes (``num_proc``), rows kept in order.

Workers are forked with the tokenizer and settings already in memory (nothing large is pickled); each gets a
contiguous slice of rows and returns its Tokenized part. DataError pickles with its file/line/key.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from typing import Any

from .sources import Rows
from .tokenized import Tokenized

_STATE: dict[str, Any] = {}


Tokenize = Callable[[Rows, Any, Any, Any, int], Tokenized]  # (rows, dataset entry, cfg, tokenizer, index)


def _work(bounds: tuple[int, int]) -> Tokenized:
    rows: Rows = _STATE["rows"]
    start, stop = bounds
    part = Rows(rows=rows.rows[start:stop], locs=rows.locs[start:stop])
    out = _STATE["tokenize"](part, _STATE["ds"], _STATE["cfg"], _STATE["tokenizer"], _STATE["index"])
    out.origin = [start + o for o in out.origin]
    return out


def tokenize_parallel(tokenize: Tokenize, rows: Rows, ds: Any, cfg: Any, tokenizer: Any, index: int,
                      num_proc: int) -> Tokenized:
    """``tokenize`` one slice of rows in each worker (handed in, so this module needs nothing of its caller)."""
    n = len(rows.rows)
    size = -(-n // (num_proc * 4))
    bounds = [(start, min(n, start + size)) for start in range(0, n, size)]
    _STATE.update(tokenize=tokenize, rows=rows, ds=ds, cfg=cfg, tokenizer=tokenizer, index=index)
    try:
        with mp.get_context("fork").Pool(num_proc) as pool:
            parts = pool.map(_work, bounds, chunksize=1)
    finally:
        _STATE.clear()
    out = Tokenized()
    for part in parts:
        out.extend(part)
    return out
