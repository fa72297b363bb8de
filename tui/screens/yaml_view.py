"""The YAML that ctrl+s will write, and its diff against the file on disk."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
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


class YamlScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f3,q", "dismiss", "Close")]

    def __init__(self, state: EditorState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        text = self.state.preset.to_yaml()
        path: Path | None = self.state.path
        on_disk = path.read_text(encoding="utf-8") if path is not None and path.exists() else ""
        name = str(path) if path else "new preset"
        kept = self.state.kept_keys()
        if kept:
            yield Static(Text("Axolotl keys kept as they are (tunedeck does not use them): " + ", ".join(kept),
                              "dim"), id="yaml-kept")
        with TabbedContent(id="yaml-dialog", initial="yaml-diff"):
            with TabPane("Diff vs disk", id="yaml-diff"), VerticalScroll():
                yield Static(unified_diff(on_disk, text, name), id="yaml-diff-text")
            with TabPane("YAML to be written", id="yaml-full"), VerticalScroll():
                yield Static(Syntax(text, "yaml", theme="ansi_dark", word_wrap=True), id="yaml-text")
