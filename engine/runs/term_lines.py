"""A tiny line terminal: turns raw program output into the rows a terminal would finally show.

It understands what progress bars use: "\\r" (back to column 0, later text overwrites), and "ESC[nA" (cursor up n
rows: how tqdm draws nested bars, e.g. the evaluation bar under the training bar). Rows the cursor can no longer
reach are final; the few it can (as deep as it has ever moved up) stay live and may still change. Colour codes
pass through untouched (column arithmetic treats them as text: good enough for bars, which rarely mix them).
"""

from __future__ import annotations

import re

CURSOR_UP = re.compile(r"\x1b\[(\d*)A")
MAX_DEPTH = 8  # deeper jumps are clamped: a log viewer is not a full-screen terminal


def overwrite(row: str, col: int, text: str) -> tuple[str, int]:
    """Write ``text`` (which may hold "\\r") into ``row`` at column ``col``; returns the row and the new column."""
    for i, segment in enumerate(text.split("\r")):
        if i:
            col = 0
        if segment:
            row = row[:col] + segment + row[col + len(segment):] if col < len(row) else row + segment
            col += len(segment)
    return row, col


def collapse_cr(line: str) -> str:
    """What a terminal shows for one line rewritten with carriage returns."""
    if "\r" not in line:
        return line
    return overwrite("", 0, line)[0].rstrip()


class LineScreen:
    """Feed it finished lines; it returns the rows that became final and keeps the live ones."""

    def __init__(self) -> None:
        self.rows: list[str] = [""]  # live rows; the cursor is on one of them
        self.cursor = 0
        self.col = 0
        # Rows above the cursor that stay live: one from the start (a first "up" must still find the row it
        # means), more once the output has moved further up.
        self.depth = 1

    def _write(self, text: str, rows: list[str], cursor: int, col: int) -> tuple[int, int]:
        if "\x1b[" in text and "A" in text:
            parts = CURSOR_UP.split(text)
            for i, part in enumerate(parts):
                if i % 2:  # a cursor-up count
                    up = min(int(part or 1), MAX_DEPTH)
                    self.depth = max(self.depth, up)
                    cursor = max(0, cursor - up)
                elif part:
                    rows[cursor], col = overwrite(rows[cursor], col, part)
        elif text:
            rows[cursor], col = overwrite(rows[cursor], col, text)
        return cursor, col

    def feed(self, lines: list[str], *, may_move_up: bool = True) -> list[str]:
        """Apply finished lines (each followed by a newline); return the rows that can no longer change.

        ``may_move_up=False`` promises no escape code that moves the cursor: the whole batch takes the fast path.
        Otherwise only the lines holding escape codes (and what they affect) go row by row.
        """
        if not may_move_up:
            return self._feed_run(lines)
        final: list[str] = []
        start = 0
        for i in [i for i, line in enumerate(lines) if "\x1b[" in line]:
            final += self._feed_run(lines[start:i])
            final += self._feed_each(lines[i : i + 1])
            start = i + 1
        final += self._feed_run(lines[start:])
        return final

    def _feed_run(self, lines: list[str]) -> list[str]:
        """Lines without cursor movement: once the cursor is on the last row, they only push rows up."""
        final: list[str] = []
        at = 0
        while at < len(lines) and self.cursor != len(self.rows) - 1:  # rows below the cursor get overwritten
            final += self._feed_each(lines[at : at + 1])
            at += 1
        if at == len(lines):
            return final
        rows = self.rows
        rows[-1] = overwrite(rows[-1], self.col, lines[at])[0]
        rows += [collapse_cr(line) for line in lines[at + 1 :]]
        rows.append("")
        keep = self.depth + 1  # the rows the cursor may still reach, and its own
        self.rows, self.cursor, self.col = rows[-keep:], keep - 1, 0
        return final + [row.rstrip() for row in rows[:-keep]]

    def _feed_each(self, lines: list[str]) -> list[str]:
        final: list[str] = []
        rows = self.rows
        for line in lines:
            self.cursor, self.col = self._write(line, rows, self.cursor, self.col)
            self.cursor += 1
            self.col = 0  # a log file's "\n" is shown as a new line from column 0
            if self.cursor == len(rows):
                rows.append("")
            excess = self.cursor - self.depth
            if excess > 0:
                final.extend(row.rstrip() for row in rows[:excess])
                del rows[:excess]
                self.cursor -= excess
        return final

    def live(self, pending: str = "") -> list[str]:
        """The live rows as shown now, with the unfinished last line (``pending``) drawn in, trailing blanks gone."""
        rows = list(self.rows)
        if pending:
            self._write(pending, rows, self.cursor, self.col)
        while rows and not rows[-1].strip():
            rows.pop()
        return [row.rstrip() for row in rows]

    def flush(self) -> list[str]:
        """Every live row as final (before jumping ahead in the file); the screen starts empty."""
        rows = [row.rstrip() for row in self.rows[: self.cursor]]
        self.rows, self.cursor, self.col = [""], 0, 0
        return rows
