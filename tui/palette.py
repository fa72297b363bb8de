"""Command palette entries (ctrl+p): every editor action, searchable by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .app import TunedeckApp

# (title, help, action on the editor screen)
EDITOR_ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Save preset", "Write the preset (refused while errors stand) — ctrl+s", "save"),
    ("Save draft", "Write the preset even with errors — f4", "save_draft"),
    ("Save as…", "Write the preset to a new file — f2", "save_as"),
    ("Launch run", "Save, then start training and watch it — f5", "launch"),
    ("Runs", "List runs and open one — f6", "runs"),
    ("Show YAML and diff", "The YAML to be written and its diff against the file on disk — f3", "show_yaml"),
    ("Toggle basic / all knobs", "Show only the newcomer's knobs, or every knob — ctrl+b", "toggle_basic"),
    ("Toggle live panel", "Show or hide help and live numbers on narrow screens — ctrl+t", "toggle_side"),
    ("Apply target batch", "Set gradient_accumulation_steps to reach the target effective batch — ctrl+g",
     "apply_target"),
    ("Preview dataset", "Render examples of the focused dataset (else the first) as the model sees them: learned "
     "tokens vs masked", "preview"),
    ("Help for this knob", "The focused knob's full explanation — f1", "knob_help"),
    ("Open preset…", "Open a shipped preset, a file, or start a new one — ctrl+o", "open"),
)


class EditorCommands(Provider):
    @property
    def tunedeck(self) -> TunedeckApp:
        return cast("TunedeckApp", self.app)

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from .screens.editor import EditorScreen

        editors = [s for s in self.app.screen_stack if isinstance(s, EditorScreen)]
        if not editors:
            return [("Open preset…", "Open a shipped preset, a file, or start a new one", self.tunedeck.action_open)]
        editor = editors[-1]
        return [(title, help_text, partial(editor.run_action, action)) for title, help_text, action in EDITOR_ACTIONS]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
