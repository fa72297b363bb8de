"""Pick what to edit: a shipped preset (with its first comment line), a file path, or a new preset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

PRESETS_DIR = Path(__file__).resolve().parents[2] / "presets"
NEW = "new"


@dataclass(frozen=True)
class Choice:
    """What the open screen returns: a path to load, or ``path=None`` for a new preset."""

    path: Path | None


def describe(path: Path) -> str:
    """The preset's first comment line (its description), without the '#'."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                stripped = line.strip()
                if stripped.startswith("#"):
                    return stripped.lstrip("#").strip()
                if stripped:
                    break
    except OSError:
        pass
    return ""


def shipped_presets(folder: Path = PRESETS_DIR) -> list[Path]:
    """The presets to pick from; recovery files of unsaved edits (tui.hangup) are not presets of their own."""
    from ..hangup import UNSAVED_SUFFIX

    found = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return [p for p in found if not p.name.endswith(UNSAVED_SUFFIX)]


class OpenScreen(Screen[Choice]):
    CSS_PATH = "open.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back"),
        Binding("ctrl+n", "new", "New preset"),
        Binding("ctrl+l", "focus_path", "Type a path"),
        Binding("f6", "app.runs", "Runs"),
    ]

    def __init__(self, *, can_cancel: bool = False, folder: Path | None = None, error: str = "") -> None:
        """error: why the preset asked for could not be opened (shown under the path; a toast raised before
        this screen exists would not be seen)."""
        super().__init__()
        self.can_cancel = can_cancel
        self.error = error
        self.folder = folder or PRESETS_DIR

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="open-body"):
            yield Static("Open a preset to edit", id="open-title")
            options: list[Option] = [Option("✚ New preset  — start from a small LoRA template", id=NEW)]
            for path in shipped_presets(self.folder):
                text = describe(path)
                label = f"{path.name}  — {text}" if text else path.name
                options.append(Option(Text(label), id=str(path)))  # plain: a comment's "[...]" is not markup
            yield OptionList(*options, id="open-list")
            yield Label("…or type the path of a preset file and press enter:")
            yield Input(placeholder="path/to/preset.yaml", id="open-path")
            yield Static(self.error, id="open-error", markup=False)  # paths and messages hold brackets
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.app.sub_title = "open"
        self.query_one("#open-list", OptionList).border_title = "Shipped presets"
        self.query_one("#open-list").focus()

    @on(OptionList.OptionSelected, "#open-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Choice(None if event.option_id == NEW else Path(str(event.option_id))))

    @on(Input.Submitted, "#open-path")
    def _typed(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            return
        if not path.is_file():
            self.query_one("#open-error", Static).update(f"{path}: no such file. Check the path.")
            return
        self.dismiss(Choice(path))

    def action_new(self) -> None:
        self.dismiss(Choice(None))

    def action_focus_path(self) -> None:
        self.query_one("#open-path").focus()

    def action_cancel(self) -> None:
        if self.can_cancel:
            self.dismiss(None)  # type: ignore[arg-type]
        else:
            self.app.exit()

    def show_error(self, message: str) -> None:
        self.query_one("#open-error", Static).update(message)
