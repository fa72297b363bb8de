"""The YAML that ctrl+s will write, and its diff against the file on disk.

Both fit any terminal (80×24 too): the dialog never grows past the screen, each tab's text scrolls inside it, and
the focus starts on that text, so the arrows, PgUp/PgDn, Home and End scroll it at once; ←/→ switch the tab
(the text has no sideways scrolling to take them: its lines wrap)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static, TabbedContent, TabPane

from ..state import EditorState


def unified_diff(old: str, new: str, name: str) -> Text:
    """A coloured unified diff (difflib); says so when nothing changed."""
    lines = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                      fromfile=f"{name} (on disk)", tofile=f"{name} (to be written)"))
    if not lines:
        return Text("No changes: the file on disk is what would be written.", "dim")
    out = Text()
    for line in lines:
        line = line if line.endswith("\n") else line + "\n"
        if line.startswith(("+++", "---")):
            out.append(line, "bold")
        elif line.startswith("@@"):
            out.append(line, "cyan")
        elif line.startswith("+"):
            out.append(line, "green")
        elif line.startswith("-"):
            out.append(line, "red")
        else:
            out.append(line)
    return out


TABS = ("yaml-diff", "yaml-full")


class YamlScreen(ModalScreen[None]):
    CSS_PATH = "yaml_view.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f3,q", "dismiss", "Close"),
        Binding("left", "switch_tab(-1)", "Previous tab", show=False),
        Binding("right", "switch_tab(1)", "Next tab", show=False),
    ]

    def __init__(self, state: EditorState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        text = self.state.preset.to_yaml()
        path: Path | None = self.state.path
        on_disk = path.read_text(encoding="utf-8") if path is not None and path.exists() else ""
        name = str(path) if path else "new preset"
        kept = self.state.kept_keys()
        # the note scrolls with each text: a long list of kept keys never takes the text's room
        note = "Axolotl keys kept as they are (tunedeck does not use them): " + ", ".join(kept)
        with Vertical(id="yaml-dialog"), TabbedContent(id="yaml-tabs", initial=TABS[0]):
            with TabPane("Diff vs disk", id=TABS[0]), VerticalScroll(classes="yaml-scroll"):
                if kept:
                    yield Static(note, classes="yaml-kept", markup=False)
                yield Static(unified_diff(on_disk, text, name), id="yaml-diff-text")
            with TabPane("YAML to be written", id=TABS[1]), VerticalScroll(classes="yaml-scroll"):
                if kept:
                    yield Static(note, classes="yaml-kept", markup=False)
                yield Static(Syntax(text, "yaml", theme="ansi_dark", word_wrap=True), id="yaml-text")

    def on_mount(self) -> None:
        self.query_one("#yaml-dialog").border_title = "YAML (esc closes · ←/→ tabs · ↑↓ PgUp/PgDn Home/End scroll)"
        self.focus_text()

    def focus_text(self) -> None:
        """The active tab's text takes the focus: the scrolling keys work without a Tab press first."""
        tabs = self.query_one("#yaml-tabs", TabbedContent)
        self.query_one(f"#{tabs.active} .yaml-scroll", VerticalScroll).focus()

    def on_tabbed_content_tab_activated(self) -> None:
        self.focus_text()

    def action_switch_tab(self, step: int) -> None:
        tabs = self.query_one("#yaml-tabs", TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + step) % len(TABS)]
