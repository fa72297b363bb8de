"""Building datasets.Dataset from token lists quickly: flat numpy buffers + offsets instead of Python lists
going through pyarrow's per-element conversion (several times faster for millions of tokens)."""

from __future__ import annotations

from itertools import chain
from typing import Any


def list_column(rows: list[list[int]]) -> Any:
    import numpy as np
    import pyarrow as pa

    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(offsets[-1]))
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))


def dataset(columns: dict[str, list]) -> Any:
    """A datasets.Dataset with list<int32> columns for token lists, string and bool columns as they are (rendered
    preference text, KTO labels), ``pictures`` (a vision row's images: engine.data.vision.picture) as lists of
    bytes, and plain int columns otherwise."""
    import datasets
    import pyarrow as pa

    arrays = {}
    for name, values in columns.items():
        if name == "pictures":  # a vision row's images: paths or bytes (engine.data.vision.picture)
            arrays[name] = pa.array(values, type=pa.list_(pa.binary()))
        elif values and isinstance(values[0], (list, range)):
            arrays[name] = list_column(values)
        elif values and isinstance(values[0], (str, bool)):
            arrays[name] = pa.array(values)
        elif not values and name != "dataset":
            arrays[name] = pa.array([], type=pa.list_(pa.int32()))
        else:
            arrays[name] = pa.array(values, type=pa.int32())
    return datasets.Dataset(datasets.table.InMemoryTable(pa.table(arrays)))
