"""Ask before a dataset entry leaves the preset: one Enter on a card's Remove button must not drop a source."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmRemove(ModalScreen[bool]):
    """Dismisses with True (remove) or False (keep). The focus starts on Keep: Enter twice is needed to remove."""

    DEFAULT_CSS = """
    ConfirmRemove { align: center middle; }
    #confirm-remove-dialog {
        width: 70; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $error 80%; background: $surface;
    }
    #confirm-remove-question { width: 1fr; }
    #confirm-remove-buttons { height: 3; margin-top: 1; }
    #confirm-remove-buttons Button { width: 1fr; margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose(False)", "Keep"),
        Binding("r", "choose(True)", "Remove", show=False),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-remove-dialog"):
            yield Label(f"Remove {self.what} from the preset? Its other settings go with it (the file on disk "
                        "changes only when you save).", id="confirm-remove-question", markup=False)
            with Horizontal(id="confirm-remove-buttons"):
                yield Button("Keep (esc)", id="keep", variant="primary")
                yield Button("Remove (r)", id="remove", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "remove")

    def action_choose(self, remove: bool) -> None:
        self.dismiss(remove)
