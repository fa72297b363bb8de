"""The one atomic writer of tunedeck's files (presets, state.json, run files, exports): a temp file in the same
folder, fsync, then os.replace.

A crash or an error mid-write leaves the old file as it was, and a failed write removes its temp file. Temps are
named ``.NAME.PID.*.tmp``: one left by a process that was killed mid-write is removed by the next write of that
file. A symlink is written through (the file it points to is replaced; the link stays a link), and the new file
keeps the old one's permissions.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text handle whose content replaces ``path`` when the block ends without an error (else nothing changes
    and the temp file is removed)."""
    target = Path(os.path.realpath(path))  # through a symlink to the real file: the link stays a link
    folder = target.parent
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    remove_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:  # a new file gets the usual umask-derived mode, not mkstemp's 0600
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    with atomic_open(path, encoding=encoding) as handle:
        handle.write(text)


def remove_stale_temps(target: Path) -> None:
    """Remove temps of ``target`` whose writer is gone (killed mid-write); a live writer's temp is left alone."""
    mine = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[a-z0-9_]+\.tmp")  # mkstemp's random part has no dot
    for tmp in glob.glob(os.path.join(glob.escape(str(target.parent)), f".{glob.escape(target.name)}.*.tmp")):
        match = mine.fullmatch(os.path.basename(tmp))
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or no pid at all): leave its file alone
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
