"""F1: the focused knob's full teaching text (engine.explain), and the editor's keys, listed from its bindings."""

from __future__ import annotations

from collections.abc import Iterable
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

# Keys Textual itself handles, which no tunedeck binding declares.
TEXTUAL_KEYS: tuple[tuple[str, str], ...] = (
    ("tab / shift+tab", "Next / previous field"),
    ("ctrl+p", "Command palette (every action)"),
)
KEY_NOTES = """\
Empty an optional field to unset it (the key is removed; the default applies).
Lists are comma-separated; mappings are written key: value, key: value (lists as [a, b])."""


def key_rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """One row per action, from the bindings themselves (their tooltip, else their description): keys bound to
    the same action share a row ("f5 / ctrl+r"). Textual's own keys come first and before the last row (quit)."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        keys, _ = rows.setdefault(binding.action, ([], binding.tooltip or binding.description))
        keys.extend(k.strip() for k in binding.key.split(",") if k.strip() not in keys)
    listed = [(" / ".join(keys), what) for keys, what in rows.values()]
    return [TEXTUAL_KEYS[0], *listed[:-1], *TEXTUAL_KEYS[1:], *listed[-1:]]


def editor_bindings() -> list[Binding]:
    """Every key of the editor and of the app (both ctrl+b actions: which one applies depends on the view)."""
    from ..app import TunedeckApp
    from .editor import EditorScreen

    return [b for b in (*EditorScreen.BINDINGS, *TunedeckApp.BINDINGS) if isinstance(b, Binding)]


def keys_text(bindings: Iterable[Binding] | None = None) -> RenderableType:
    """The editor's keys: the key in one column, what it does beside it (wrapping in its own column)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for keys, what in key_rows(editor_bindings() if bindings is None else bindings):
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
    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, knob: KnobInfo | None, path: str | None, value: Any,
                 keys: Iterable[Binding] | None = None) -> None:
        """keys: the bindings to list (the editor passes those that apply now); None: every editor key."""
        super().__init__()
        self.knob, self.path, self.value = knob, path, value
        self.keys = list(keys) if keys is not None else None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            if self.knob is not None and self.path is not None:
                yield Static(knob_text(self.knob, self.path, self.value), id="help-knob")
            yield Static(keys_text(self.keys), id="help-keys")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").border_title = "Help (esc closes)"
        self.query_one("#help-dialog").focus()
