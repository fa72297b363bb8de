"""A bounded, fast, ANSI-aware log view that follows a growing file (train.log).

Why not RichLog: it renders every written line to strips up front, which is far too slow for a flood of tqdm
output. This pane keeps only raw strings (the last ``max_lines``) and turns the few visible ones into styled
strips on demand (cached), so appending costs next to nothing and memory stays bounded.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from engine.runs.log_tail import ANSI, START_BYTES, LogTail

MAX_LINES = 5_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")


def plain_width(line: str) -> int:
    """Cells a line takes once its escape codes are gone (used for the horizontal scroll range)."""
    if line.isascii() and "\x1b" not in line and "\t" not in line:
        return len(line)  # the common case, and far cheaper than cell_len
    if "\x1b" in line:
        line = ANSI.sub("", line)
    return cell_len(line.expandtabs())


class LogPane(ScrollView, can_focus=True):
    """Shows the last ``max_lines`` lines of ``path`` (or of whatever is appended), following the end."""

    DEFAULT_CSS = """
    LogPane {
        background: $surface;
        color: $text;
        overflow: auto auto;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    LogPane:focus { background-tint: $foreground 5%; }
    """
    following: var[bool] = var(True)
    """Stick to the end. Scrolling up releases it; End (or scrolling back down to the end) resumes it."""
    wrap: var[bool] = var(False)
    """Long lines continue on the next rows instead of running off to the right (w toggles; no mouse over SSH)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end", "follow", "Follow", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("w", "toggle_wrap", "Wrap"),
    ]

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_lines: int = MAX_LINES,
        poll_interval: float = 0.1,
        start_bytes: int = START_BYTES,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self.poll_interval = poll_interval
        self._tail = LogTail(path, start_bytes=start_bytes) if path is not None else None
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._first = 0  # serial number of self._lines[0]; serials key the strip cache across pruning
        self._live: list[str] = []  # rows under the final ones that may still change (bars, the unfinished line)
        self._width = 0
        self._cache: LRUCache[tuple[int, str], Strip] = LRUCache(512)
        self._timer: Timer | None = None
        self._row_starts: list[int] | None = None  # wrapping: each line's first row, the row count last
        self._row_width = 0  # the width _row_starts was counted for
        self.lines_received = 0  # every finished line ever appended (for benchmarks and tests)
        self.bytes_skipped = 0  # bytes jumped over (before the attach window, or far behind a flood)

    # -- feeding -------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.watch_following(self.following)
        if self._tail is not None:
            self.poll()
            self._timer = self.set_interval(self.poll_interval, self.poll, name="log-tail")

    def poll(self) -> bool:
        """Read what the file gained since the last poll; returns whether anything changed."""
        if self._tail is None:
            return False
        chunk = self._tail.read(keep_last=self.max_lines)
        lines = chunk.lines
        if chunk.skipped_bytes:
            self.bytes_skipped += chunk.skipped_bytes
            marker = (f"\x1b[2m… {chunk.skipped_bytes / 1e6:.1f} MB of {self._tail.path.name} not shown here"
                      " (the file has it all) …\x1b[0m")
            lines = [*lines[: chunk.skipped_at], marker, *lines[chunk.skipped_at :]]
        if chunk.changed or chunk.skipped_bytes:
            self.append(lines, chunk.live, received=chunk.line_count)
        if chunk.more:  # a flood: read on soon, but through a timer so keys and repaints get their turn
            self.set_timer(0.005, self.poll, name="log-more")
        return chunk.changed

    def append(self, lines: Iterable[str], live: Sequence[str] = (), *, received: int | None = None) -> None:
        """Add final lines, then show ``live`` under them (rows that may still change: the next call replaces them).

        ``received``: how many lines these stand for when the caller already dropped older ones.
        """
        lines = list(lines)
        dropped = max(0, len(self._lines) + len(lines) - self.max_lines)
        self._first += dropped
        lines = lines[-self.max_lines :]
        self._lines.extend(lines)
        self.lines_received += len(lines) if received is None else received
        self._live = list(live)
        # len() bounds the width from above (escape codes count): measure only lines that might be wider.
        for line in [line for line in lines if len(line) > self._width]:
            self._width = max(self._width, plain_width(line))
        for row in self._live:
            if len(row) > self._width:
                self._width = max(self._width, plain_width(row))
        self._update_virtual_size()
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif dropped:  # keep the lines a reader scrolled to under their eyes
            self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        self.refresh()

    def clear(self) -> None:
        self._first += len(self._lines)
        self._lines.clear()
        self._live = []
        self._width = 0
        self._update_virtual_size()
        self.refresh()

    # -- reading -------------------------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        return len(self._lines) + len(self._live)

    @property
    def lines(self) -> list[str]:
        """The kept lines as raw text (escape codes included), the live rows last."""
        return [*self._lines, *self._live]

    def plain_lines(self, last: int | None = None) -> list[str]:
        """The kept lines without escape codes (optionally only the last ``last``)."""
        lines = self.lines if last is None else self.lines[-last:]
        return [ANSI.sub("", line) for line in lines]

    def action_follow(self) -> None:
        self.following = True
        self.scroll_end(animate=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.size.height and self.max_scroll_y:  # before layout every offset looks like "not at the end"
            self.following = new_value >= self.max_scroll_y - 0.5

    def watch_following(self, following: bool) -> None:
        name = self._tail.path.name if self._tail is not None else "log"
        self.border_title = name if following else f"{name} · scrolled up · End follows again"

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def watch_wrap(self, wrap: bool) -> None:
        self.styles.overflow_x = "hidden" if wrap else "auto"
        self.scroll_to(x=0, animate=False, immediate=True)
        self._update_virtual_size()
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def _wrapped_rows(self) -> list[int]:
        """Each line's first row when wrapping, the total row count last; counted again when lines or width change."""
        width = max(1, self.size.width)
        if self._row_starts is None or self._row_width != width:
            starts = [0]
            for line in self.lines:
                starts.append(starts[-1] + max(1, -(-plain_width(line) // width)))
            self._row_starts, self._row_width = starts, width
        return self._row_starts

    def _update_virtual_size(self) -> None:
        self._row_starts = None
        if self.wrap:
            self.virtual_size = Size(self.size.width, self._wrapped_rows()[-1])
        else:
            self.virtual_size = Size(self._width, self.line_count)

    def on_resize(self) -> None:
        if self.wrap:
            self._update_virtual_size()
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    # -- rendering -----------------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def _strip_for(self, index: int) -> Strip:
        count = len(self._lines)
        line = self._lines[index] if index < count else self._live[index - count]
        key = (self._first + index, line)  # a live row changes under the same serial
        strip = self._cache.get(key)
        if strip is None:
            if "\x1b" in line or not line.isascii() or "\t" in line:
                text = Text.from_ansi(_CONTROL.sub("", line.expandtabs()), no_wrap=True, end="")
                text.stylize_before(self.rich_style)
                strip = Strip(text.render(self.app.console), text.cell_len)
            else:  # most lines: plain ASCII, no need for the ANSI decoder
                clean = _CONTROL.sub("", line)
                strip = Strip([Segment(clean, self.rich_style)], len(clean))
            self._cache[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if self.wrap:
            return self._wrapped_line(scroll_y + y, width)
        if index >= self.line_count:
            return Strip.blank(width, self.rich_style)
        return self._strip_for(index).crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _wrapped_line(self, row: int, width: int) -> Strip:
        starts = self._wrapped_rows()
        if starts[-1] != self.virtual_size.height:  # the width changed under us (a scrollbar came or went)
            self.call_later(self._update_virtual_size)
        if row >= starts[-1] or width < 1:
            return Strip.blank(width, self.rich_style)
        index = bisect_right(starts, row) - 1
        part = row - starts[index]
        return self._strip_for(index).crop_extend(part * width, (part + 1) * width, self.rich_style)

