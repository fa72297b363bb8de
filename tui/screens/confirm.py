"""Ask before losing edits: save, discard or cancel."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmUnsaved(ModalScreen[str]):
    """Dismisses with "save", "discard" or "cancel"."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel"),
        Binding("s", "choose('save')", "Save", show=False),
        Binding("d", "choose('discard')", "Discard", show=False),
    ]

    def __init__(self, what: str = "quitting") -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Grid(id="confirm-dialog"):
            yield Label(f"The preset has unsaved changes. Save them before {self.what}?", id="confirm-question")
            yield Button("Save (s)", variant="primary", id="save")
            yield Button("Discard (d)", variant="error", id="discard")
            yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
