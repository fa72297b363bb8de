"""A row-cursor DataTable whose Left/Right keys move a whole column: at 80 columns a table wider than the screen
is read column by column (Textual's own step is one cell: dozens of key presses to reach the last column)."""

from __future__ import annotations

from itertools import accumulate
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class ColumnScrollTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "cursor_right", "Columns", key_display="←→"),
    ]

    def column_starts(self) -> list[int]:
        """The x where each column begins."""
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        return [0, *accumulate(widths)][:-1]

    def action_cursor_right(self) -> None:
        if self.cursor_type != "row":
            super().action_cursor_right()
            return
        later = [x for x in self.column_starts() if x > self.scroll_x]
        self.scroll_to(x=min(later[0], self.max_scroll_x) if later else self.max_scroll_x, animate=False)

    def action_cursor_left(self) -> None:
        if self.cursor_type != "row":
            super().action_cursor_left()
            return
        earlier = [x for x in self.column_starts() if x < self.scroll_x]
        self.scroll_to(x=earlier[-1] if earlier else 0, animate=False)
