"""F1 on the estimate: every part of the memory estimate, its size and what it is."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class EstimateHelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(self.text, id="estimate-help")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "Memory estimate (esc closes)"
        self.query_one("#help-dialog").focus()
