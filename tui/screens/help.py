"""F1: the focused knob's full teaching text (engine.explain), or how to use the editor."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.knobs.facts import KnobInfo

from ..kinds import UNSET, to_text
from ..widgets.help_panel import render_help

# The editor's keys, one per row (two per row wrapped into each other's lines at 80 columns).
KEY_ROWS: tuple[tuple[str, str], ...] = (
    ("tab / shift+tab", "next / previous field"),
    ("esc", "back to the section list"),
    ("ctrl+s", "save (refused while errors)"),
    ("f4", "save a draft (keeps errors)"),
    ("f2", "save as"),
    ("f3", "YAML to be written + diff vs disk"),
    ("f5 / ctrl+r", "save and launch the run"),
    ("f6", "runs list"),
    ("ctrl+b", "basic view / all knobs"),
    ("ctrl+t", "show/hide the live panel (narrow)"),
    ("ctrl+g", "apply the proposed gradient_accumulation_steps (type a target batch first)"),
    ("ctrl+o", "open another preset"),
    ("ctrl+p", "command palette (every action)"),
    ("f1", "this help (on a knob: its full explanation)"),
    ("ctrl+q", "quit (asks first when there are unsaved changes)"),
)
KEY_NOTES = """\
Empty an optional field to unset it (the key is removed; the default applies).
Lists are comma-separated; mappings are written key: value, key: value (lists as [a, b])."""


def keys_text() -> RenderableType:
    """The editor's keys: the key in one column, what it does beside it (wrapping in its own column)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for keys, what in KEY_ROWS:
        table.add_row(f"  {keys}", what)
    return Group(Text("tunedeck editor — keys\n"), table, Text("\n" + KEY_NOTES))


def knob_text(knob: KnobInfo, path: str, value: Any) -> RenderableType:
    """engine.explain's rendering when it is there, else the help panel's."""
    try:
        from engine.explain import render_knob
    except ImportError:
        return render_help(knob, path, value, full=True)
    try:
        rendered = render_knob(knob)
    except Exception:  # a teaching-text bug must not hide the help
        return render_help(knob, path, value, full=True)
    shown = "(unset)" if value is None or value is UNSET else to_text(value, knob.kind)
    head = Text()
    head.append(f"{path}", "bold")
    head.append("  current value: ", "dim")
    head.append(shown, "bold")
    head.append("\n")
    return Group(head, Text(rendered) if isinstance(rendered, str) else rendered)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, knob: KnobInfo | None, path: str | None, value: Any) -> None:
        super().__init__()
        self.knob, self.path, self.value = knob, path, value

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            if self.knob is not None and self.path is not None:
                yield Static(knob_text(self.knob, self.path, self.value), id="help-knob")
            yield Static(keys_text(), id="help-keys")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "Help (esc closes)"
        self.query_one("#help-dialog").focus()
