"""test_datasets entries are read after datasets' (indices continue); their errors name the key as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import DataError

T = TypeVar("T")


def for_entry(index: int, first_test: int, read: Callable[..., T], *args: Any) -> T:
    """``read(*args)`` for entry ``index``; an error from a test_datasets entry (index >= first_test) is renamed from
    "dataset N" / datasets.N to "test dataset M" / test_datasets.M, so it points at the key the user wrote."""
    try:
        return read(*args)
    except DataError as err:
        if index < first_test:
            raise
        raise _renamed(err, index, index - first_test) from None


def _renamed(err: DataError, index: int, test_index: int) -> DataError:
    def rename(text: str) -> str:
        text = re.sub(rf"(?<![\w.])datasets\.{index}\b", f"test_datasets.{test_index}", text)
        return re.sub(rf"\bdataset {index}\b", f"test dataset {test_index}", text)

    return DataError(rename(err.message), key=rename(err.key) if err.key else err.key, file=err.file, line=err.line)
