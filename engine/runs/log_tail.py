"""The one reader of train.log: byte offsets, bounded reads, progress bars collapsed as a terminal shows them.

Pure Python, no Textual. The TUI's log pane polls :meth:`LogTail.read` (final rows and live ones); the headless
reporter prints :meth:`LogTail.read_lines`; the failure summary takes :func:`tail_lines`. A file may be gigabytes
long, so following starts from its last ``start_bytes`` unless told where; each read takes at most ``max_read``
bytes so one tick never stalls a screen.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.runs.term_lines import CURSOR_UP, LineScreen

START_BYTES = 200_000
MAX_READ = 1024 * 1024  # per poll; a full read schedules the next poll at once
MAX_PENDING = 64 * 1024  # a progress bar that never ends its line must not grow without bound
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def _trim_pending(raw: bytes) -> bytes:
    """Drop the overwritten part of an unfinished line (keep from the last "\\r" that has text after it)."""
    body = raw.rstrip(b"\r")
    cut = body.rfind(b"\r")
    if cut > 0 and b"\x1b[" not in raw[:cut]:  # never drop a cursor movement
        raw = raw[cut:]
    return raw[-MAX_PENDING:]


@dataclass
class LogChunk:
    """What one poll found: rows that became final, and the live rows under them (replacing the previous ones)."""

    lines: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # rows that may still change (the unfinished line, bars)
    line_count: int = 0  # finished lines found, including those dropped by ``keep_last``
    skipped_bytes: int = 0  # bytes never shown (before the attach window, or jumped over when far behind)
    skipped_at: int = 0  # where in ``lines`` the skipped bytes were
    changed: bool = False
    more: bool = False  # the read was cut at max_read: more is waiting


class LogTail:
    """Follows ``path`` from a byte offset; call :meth:`read` as often as you like."""

    def __init__(self, path: str | os.PathLike[str], *, start_bytes: int = START_BYTES, start_at: int | None = None,
                 max_read: int = MAX_READ) -> None:
        """``start_at``: the byte offset of a line start to follow from (else the last ``start_bytes``)."""
        self.path = Path(path)
        self.start_bytes = start_bytes
        self.max_read = max_read
        self.offset: int | None = start_at  # None until the file is first seen
        self._pending = b""
        self._screen = LineScreen()
        self._skip_partial = False  # after a jump, the first bytes are the middle of a line

    def _open_at_start(self, size: int) -> int:
        if size > self.start_bytes:
            self._skip_partial = True
            return size - self.start_bytes
        return 0

    def read(self, keep_last: int | None = None) -> LogChunk:
        """Rows that became final since the last call (only the last ``keep_last`` when given) and the live rows."""
        chunk = LogChunk()
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if self.offset is None:
                    self.offset = self._open_at_start(size)
                    chunk.skipped_bytes = self.offset
                elif size < self.offset:  # truncated or replaced: start over
                    self.offset, self._pending, self._screen = 0, b"", LineScreen()
                if size - self.offset > 8 * self.max_read:  # far behind a flood: jump to the recent end
                    jump = size - self.max_read
                    chunk.skipped_bytes += jump - self.offset
                    chunk.lines = self._screen.flush()
                    chunk.skipped_at = len(chunk.lines)
                    self.offset, self._pending, self._skip_partial = jump, b"", True
                if size == self.offset:
                    return chunk
                fh.seek(self.offset)
                data = fh.read(self.max_read)
        except FileNotFoundError:
            return chunk
        self.offset += len(data)
        chunk.changed = True
        chunk.more = len(data) == self.max_read
        data = self._pending + data
        if self._skip_partial:
            nl = data.find(b"\n")
            if nl < 0:
                self._pending = b""
                return chunk
            data = data[nl + 1 :]
            self._skip_partial = False
        end = data.rfind(b"\n")
        complete, rest = (data[: end + 1], data[end + 1 :]) if end >= 0 else (b"", data)
        if complete:
            text = complete.decode("utf-8", errors="replace")
            lines = text.split("\n")[:-1]
            chunk.line_count = len(lines)
            moves = "\x1b[" in text and CURSOR_UP.search(text) is not None
            if keep_last is not None and len(lines) > keep_last:
                self._screen.flush()  # older than every line kept: nothing of it would stay on screen
                lines = lines[-keep_last:]
            chunk.lines += self._screen.feed(lines, may_move_up=moves)
        self._pending = _trim_pending(rest)
        chunk.live = self._screen.live(self._pending.decode("utf-8", errors="replace"))
        return chunk

    def read_lines(self, flush: bool = False) -> list[str]:
        """For a follower that prints lines and cannot take them back: every complete line as a terminal would
        finally show it, colour codes and blank lines left out. The unfinished last line waits (``flush``: it
        comes too, for the end of a run)."""
        rows: list[str] = []
        while True:
            opening = self.offset is None
            chunk = self.read()
            if chunk.skipped_bytes and not opening:  # far behind a flood: say what was jumped over
                rows += chunk.lines[: chunk.skipped_at]
                rows.append(f"… {chunk.skipped_bytes / 1e6:.1f} MB of {self.path.name} not shown here …")
                rows += chunk.lines[chunk.skipped_at :]
            else:
                rows += chunk.lines
            if not chunk.more:
                break
        rows += self._screen.flush()  # printed now: a printer cannot redraw them later
        if flush and self._pending:
            rows += self._screen.live(self._pending.decode("utf-8", errors="replace"))
            self._pending, self._screen = b"", LineScreen()
        return [plain for row in rows if (plain := ANSI.sub("", row).rstrip()).strip()]


def tail_lines(path: str | os.PathLike[str], count: int = 20, max_bytes: int = 64_000) -> list[str]:
    """The last ``count`` lines of a log file as a terminal shows them, read from its last ``max_bytes``."""
    return LogTail(path, start_bytes=max_bytes).read_lines(flush=True)[-count:]


def last_lines_offset(path: str | os.PathLike[str], n: int) -> int:
    """Byte offset where the last ``n`` lines of ``path`` start (so attach shows a little backlog)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return 0
    pos = len(data)
    for _ in range(n + 1):
        pos = data.rfind(b"\n", 0, pos)
        if pos < 0:
            return 0
    return pos + 1
