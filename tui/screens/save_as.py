"""Ask for a file name: for new presets, and for "save as"."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class SaveAsScreen(ModalScreen[Path | None]):
    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: str) -> None:
        super().__init__()
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="save-as-dialog"):
            yield Label("Save the preset as (a .yaml path; enter saves, esc cancels):")
            yield Input(self.suggestion, id="save-as-path")
            yield Static(id="save-as-note", markup=False)  # a path may hold brackets

    @on(Input.Changed, "#save-as-path")
    def _changed(self, event: Input.Changed) -> None:
        path = Path(event.value.strip()).expanduser()
        note = ""
        if event.value.strip() and path.suffix not in (".yaml", ".yml"):
            note = "end the name with .yaml"
        elif path.is_dir():
            note = "that is a folder: add a file name"
        elif path.exists():
            note = "exists: saving replaces it"
        elif event.value.strip() and not path.parent.exists():
            note = f"folder {path.parent} does not exist"
        self.query_one("#save-as-note", Static).update(note)

    @on(Input.Submitted, "#save-as-path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip() or path.suffix not in (".yaml", ".yml") or path.is_dir():
            self.query_one("#save-as-note", Static).update("give a file name ending in .yaml")
            return
        if not path.parent.exists():
            self.query_one("#save-as-note", Static).update(f"folder {path.parent} does not exist")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
