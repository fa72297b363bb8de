"""A full disk loses nothing: room set aside to record how a run ended, and appends that land whole or not at all.

The trainer's main process sets aside RESERVE_BYTES in its run folder when it starts (real blocks, not a sparse
file). When the disk fills up (typically while a checkpoint is saved), the next run-folder write that fails for
lack of space frees that room and tries once more, so the error event and state.json "failed" still get written.
The room is also given back when the run writes its final event.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

RESERVE_FILE = ".space-reserve"
RESERVE_BYTES = 1 << 20  # the error event (with its log tail, ≤ 20 kB) and state.json need far less
_FULL = (errno.ENOSPC, errno.EDQUOT)

T = TypeVar("T")


def disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in _FULL


def reserve_space(run_dir: str | os.PathLike[str]) -> None:
    """Set RESERVE_BYTES aside in ``run_dir``; without room even for that, the run goes on without it."""
    path = Path(run_dir) / RESERVE_FILE
    try:
        with open(path, "wb") as fh:
            fh.write(b"\0" * RESERVE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        release_reserve(run_dir)


def release_reserve(run_dir: str | os.PathLike[str]) -> bool:
    """Give the set-aside room back; False when there was none."""
    try:
        os.unlink(Path(run_dir) / RESERVE_FILE)
    except FileNotFoundError:
        return False
    return True


def with_room(run_dir: str | os.PathLike[str], write: Callable[[], T]) -> T:
    """``write()``; when the disk is full, free the run's reserve and try once more."""
    try:
        return write()
    except OSError as err:
        if not disk_full(err) or not release_reserve(run_dir):
            raise
    return write()


def append_whole(path: Path, data: bytes) -> None:
    """Append ``data`` whole or not at all: a write cut short (the disk filled up) is cut back off, so readers never
    see half a line followed by the next one."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.fstat(fd).st_size  # one writer per file (the main process): nothing else moves the end
        written = 0
        try:
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError:
            if written:
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)
