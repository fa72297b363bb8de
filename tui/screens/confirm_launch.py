"""Ask before launching while warnings stand: each warning listed (scrolling inside the dialog), launch anyway or
cancel."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from engine.knobs.problems import Problem
from tui.screens.facts_dialog import FACTS, FactsDialog


class ConfirmLaunch(FactsDialog[bool]):
    """Dismisses with True to launch despite the warnings, False to go back and fix them."""

    FRAME_LINES = 10  # border, padding, the question, the list's margins, the buttons

    DEFAULT_CSS = """
    ConfirmLaunch { align: center middle; }
    #launch-dialog {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        padding: 1 2; border: thick $warning 80%; background: $surface;
    }
    #launch-warnings { height: auto; margin: 1 0; }
    #launch-warnings Static { margin-bottom: 1; }
    #launch-buttons { height: 3; }
    #launch-buttons Button { width: 1fr; margin-right: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose(False)", "Cancel"),
        Binding("l", "choose(True)", "Launch anyway", show=False),
    ]

    def __init__(self, warnings: list[Problem]) -> None:
        super().__init__()
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        n = len(self.warnings)
        with Vertical(id="launch-dialog"):
            yield Label(f"{n} warning{'s' if n != 1 else ''} still stand{'s' if n == 1 else ''}. Launch anyway?",
                        id="launch-question")
            with VerticalScroll(id="launch-warnings", classes=FACTS):
                for problem in self.warnings:
                    where = f"{problem.key}: " if problem.key else ""
                    yield Static(f"{where}{problem.message}", markup=False, classes="launch-warning")
            with Horizontal(id="launch-buttons"):
                yield Button("Launch anyway (l)", variant="warning", id="launch")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "launch")

    def action_choose(self, launch: bool) -> None:
        self.dismiss(launch)
