"""A text panel that takes the focus and scrolls with the keyboard (SSH has no mouse): at 80×24 a help text, an
error or a warning list is often taller than its box. A Static cannot do it alone: Textual scrolls only what a
container holds, so the text lives in one Static inside a VerticalScroll (arrows, PgUp/PgDn, Home, End)."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.visual import VisualType
from textual.widgets import Static


class ScrollText(VerticalScroll):
    """Shows one text (``update``), scrolled by the keyboard once focused (Tab reaches it)."""

    DEFAULT_CSS = """
    ScrollText { height: auto; }
    ScrollText > .scroll-text-body { height: auto; }
    ScrollText:focus { background-tint: $foreground 5%; }
    """

    def __init__(self, content: RenderableType | VisualType = "", *, markup: bool = True, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.body = Static(content, markup=markup, classes="scroll-text-body")

    def compose(self) -> ComposeResult:
        yield self.body

    def update(self, content: RenderableType | VisualType = "") -> None:
        self.body.update(content)
