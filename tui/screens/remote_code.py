"""Ask before a model repository's code runs: the preset sets trust_remote_code and names these models."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label

from tui.screens.facts_dialog import FACTS, FactsDialog


class RemoteCodeConsent(FactsDialog[bool]):
    """Dismisses with True (allow, remembered for this preset and these models) or False (not now)."""

    FRAME_LINES = 8  # border, padding, the buttons and their margin
    DEFAULT_CSS = """
    RemoteCodeConsent { align: center middle; }
    #remote-code-dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $warning 80%; background: $surface;
    }
    #remote-code-scroll { height: auto; }
    #remote-code-question { width: 1fr; }
    #remote-code-buttons { height: 3; margin-top: 1; }
    #remote-code-buttons Button { width: 1fr; margin: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose(False)", "Not now"),
        Binding("a", "choose(True)", "Allow", show=False),
    ]

    def __init__(self, models: tuple[str, ...], preset: str) -> None:
        super().__init__()
        self.models = models
        self.preset = preset

    def compose(self) -> ComposeResult:
        names = escape(" and ".join(self.models))
        with Vertical(id="remote-code-dialog"):
            with VerticalScroll(id="remote-code-scroll", classes=FACTS):
                yield Label(
                    f"[b]Run code from {names}?[/b]\n\n{escape(self.preset)} sets [b]trust_remote_code: true[/b]. "
                    f"Loading {names} (for the row and token counts, the preview and training) then runs Python code "
                    "that ships in that repository, on this machine, with your permissions.\n\nAllow it only if you "
                    "trust that code. Nothing is loaded until you do; your answer is remembered for this preset and "
                    "model.",
                    id="remote-code-question", markup=True,
                )
            with Horizontal(id="remote-code-buttons"):
                yield Button("Allow (a)", variant="warning", id="allow")
                yield Button("Not now (esc)", variant="primary", id="deny")

    def on_mount(self) -> None:
        self.query_one("#deny", Button).focus()  # Enter on a dialog someone rushes through must not allow it

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "allow")

    def action_choose(self, allow: bool) -> None:
        self.dismiss(allow)
