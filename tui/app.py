"""tunedeck's terminal app: open a preset, edit it with help at hand, save it, launch it, watch runs.

The app holds the flows that span screens (open, save, save as, launch, quit with unsaved changes); the screens
hold their own widgets. Never imports torch/transformers/trl/peft/datasets: the data is measured in subprocesses.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from engine.errors import TunedeckError

from .hangup import CHECK_INTERVAL_S, HangupGuard, newer_recovery, save_unsaved
from .palette import EditorCommands
from .screens.editor import EditorScreen

# The open screen and the dialogs are imported where they are shown: the first frame is the editor.
if TYPE_CHECKING:
    from engine.importers import Imported
    from engine.preset import Preset
    from engine.runs.output_dir import LaunchQuestion, StartRequest

    from .screens.open import Choice
from .state import EditorState, new_preset


class TunedeckApp(App[int]):
    TITLE = "tunedeck"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {EditorCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True,
                tooltip="Quit (asks first when there are unsaved changes; runs go on)"),
    ]

    def __init__(self, preset_path: str | Path | None = None, *, presets_dir: Path | None = None,
                 count_data: bool = True) -> None:
        """presets_dir: where shipped presets are listed from. count_data: False skips the background
        row/token counting (snapshot tests need a screen that does not change with subprocess timing)."""
        super().__init__()
        self.preset_path = Path(preset_path) if preset_path is not None else None
        self.presets_dir = presets_dir
        self.count_data = count_data
        self.collect_after_first_frame = False  # the garbage collector was paused for start-up: resume it
        self._open_error: str | None = None  # why the preset named at start could not be opened

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every pop-up is plain text: problem messages and paths hold brackets ("[assistant]") that Rich markup
        would swallow. Screens' notify() passes markup=True by default, so it is not honoured here."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_default_screen(self) -> Screen[Any]:
        """The first screen: the editor on the preset named at start, drawn at once rather than pushed over a blank
        screen (2-3 % of the first frame). With no preset, or one that cannot be opened, Textual's blank screen,
        and on_mount shows the open screen."""
        if self.preset_path is not None:
            opened = self._editor_for(self.preset_path)
            if isinstance(opened, EditorScreen):
                return opened
            self._open_error = opened
        return super().get_default_screen()

    def on_mount(self) -> None:
        if self.collect_after_first_frame:
            self.call_after_refresh(self._resume_collector)
        self._hangup = HangupGuard(self._terminal_lost)
        if self._hangup.active:
            self._hangup.install_signal(asyncio.get_running_loop())
            self.set_interval(CHECK_INTERVAL_S, self._hangup.check, name="terminal-check")
        if self._open_error is not None:
            self._show_open_screen(self._open_error)
        elif self.editor is None:
            from .screens.open import OpenScreen

            self.push_screen(OpenScreen(folder=self.presets_dir), self._opened)

    def _resume_collector(self) -> None:
        """After the first frame: what start-up made lives as long as the app (frozen: never scanned again)."""
        self.collect_after_first_frame = False
        gc.freeze()
        gc.enable()

    # ---- opening ---------------------------------------------------------------------------------------------
    @property
    def editor(self) -> EditorScreen | None:
        editors = [s for s in self.screen_stack if isinstance(s, EditorScreen)]
        return editors[-1] if editors else None

    def open_path(self, path: Path | None) -> bool:
        opened = self._editor_for(path)
        if not isinstance(opened, EditorScreen):
            self._show_open_screen(opened)
            return False
        self.show_editor(opened)
        return True

    def show_editor(self, editor: EditorScreen) -> None:
        """``editor`` in place of the current editor (and whatever is above it), or on top when there is none."""
        current = self.editor
        if current is None:
            self.push_screen(editor)
            return
        while self.screen is not current:
            self.pop_screen()
        if len(self.screen_stack) == 1:  # the first screen (get_default_screen): Textual cannot replace it
            self.push_screen(editor)
        else:
            self.switch_screen(editor)

    def _show_open_screen(self, error: str) -> None:
        from .screens.open import OpenScreen

        self.notify(error, title="Cannot open", severity="error", timeout=10)
        self.push_screen(OpenScreen(can_cancel=self.editor is not None, folder=self.presets_dir, error=error),
                         self._opened)

    def _editor_for(self, path: Path | None) -> EditorScreen | str:
        """An editor on the preset at ``path`` (a new one for None), or why it cannot be opened."""
        imported = None
        try:
            preset, imported = _read_preset(path) if path is not None else (new_preset(), None)
            if imported is not None:  # another tool's config: a new, unsaved preset with the report on top
                path = None
            preset.require_mapping()  # a list or a text has no knobs to edit: the open screen says why
        except TunedeckError as err:
            return str(err)
        state = EditorState(preset, path=path)
        recovered = newer_recovery(path) if path is not None else None
        if recovered is not None:
            self.notify(f"Unsaved edits from a session that lost its terminal are in {recovered}: open it with "
                        "ctrl+o to compare or keep them (delete it once done).", title="Recovered edits",
                        severity="warning", timeout=20)
        if path is None:
            state.dirty = True  # a new preset exists only in memory until saved
        if imported is not None:
            where = "Each key's fate is in the comment block at the top of the preset (F3). Save it with F2."
            self.notify("\n".join([*imported.report.lines()[:1], where]),
                title="Imported: new, unsaved preset", severity="warning", timeout=30)
        return EditorScreen(state)

    def _opened(self, choice: Choice | None) -> None:
        if choice is not None:
            self.open_path(choice.path)

    def action_open(self) -> None:
        from .screens.open import OpenScreen

        self._unless_unsaved("opening another preset",
                             lambda: self.push_screen(OpenScreen(can_cancel=True, folder=self.presets_dir),
                                                      self._opened))

    # ---- saving ----------------------------------------------------------------------------------------------
    def save(self, state: EditorState, *, draft: bool = False, then: Callable[[], Any] | None = None) -> bool:
        """Save to the preset's file (asks for one when new). Valid saves are refused while errors stand."""
        if state.path is None:
            self.save_as(state, draft=draft, then=then)
            return False
        if not draft and not state.can_save_valid():
            if self.editor is not None:  # the marks and the summary the message points at, now, not after a debounce
                self.editor.refresh_problems()
            n = len(state.errors()) or len(state.field_errors)
            self.notify(f"Not saved: {n} error{'s' if n != 1 else ''} (marked in red). Fix them, or press "
                        "f4 to save a draft that keeps them.", title="Preset has errors", severity="error")
            return False
        try:
            state.preset.save(state.path, draft=draft)
        except TunedeckError as err:
            self.notify(str(err), title="Not saved", severity="error", timeout=10)
            return False
        state.dirty = False
        state.changed_on_disk()
        if self.editor is not None:
            self.editor.saved()
        self.notify(f"Saved {'draft ' if draft else ''}{state.path}", timeout=3)
        if then is not None:
            then()
        return True

    def save_as(self, state: EditorState, *, draft: bool = False, then: Callable[[], Any] | None = None) -> None:
        from .screens.save_as import SaveAsScreen

        suggestion = str(state.path) if state.path else "my-preset.yaml"

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            old = state.path
            renamed = self._own_output_dir(state, path)
            state.path = path
            if not self.save(state, draft=draft, then=then):
                state.path = old
                if renamed is not None:
                    state.set("output_dir", renamed)

        self.push_screen(SaveAsScreen(suggestion), chosen)

    @staticmethod
    def _own_output_dir(state: EditorState, path: Path) -> str | None:
        """A New preset saved for the first time takes its own output_dir from its name, as ``tunedeck new NAME``
        gives it (unless the user already changed it). Returns the value it replaced, or None."""
        from engine.commands.new import own_output_name

        default = f"./outputs/{own_output_name(Path('new-preset.yaml'))}"
        if state.path is not None or state.value("output_dir") != default:
            return None
        state.set("output_dir", f"./outputs/{own_output_name(path)}")
        return default

    # ---- launching -------------------------------------------------------------------------------------------
    def launch(self, state: EditorState) -> None:
        """Save (valid only), check what this machine refuses and ask about standing warnings, then start the run
        and show it."""
        if state.dirty or state.path is None:
            self.save(state, then=lambda: self._check_before_launch(state))
            return
        if not state.can_save_valid():
            self.notify("Fix the errors marked in red before launching.", severity="error")
            return
        self._check_before_launch(state)

    def _check_before_launch(self, state: EditorState) -> None:
        """What stops the preset on this machine is refused here (not by the trainer minutes later); standing
        warnings are listed and the user asked. Then the launch proper (_launch)."""
        from engine.preset import format_problem
        from engine.preset.on_this_machine import problems_here

        here = problems_here(state.preset)
        refused = [p for p in here if p.severity == "error"]
        if refused:
            self.notify("\n".join(format_problem(p) for p in refused), title="Not launched: this machine cannot run it",
                        severity="error", timeout=20, markup=False)
            return
        kept = set(state.kept_keys())
        standing = [p for p in state.problems + here if p.severity == "warning" and p.key not in kept]
        if not standing:
            self._launch(state)
            return
        from .screens.confirm_launch import ConfirmLaunch

        self.push_screen(ConfirmLaunch(standing), lambda go: self._launch(state) if go else None)

    def _launch(self, state: EditorState) -> None:
        assert state.path is not None
        self.notify(f"Launching {state.path}…", timeout=3)
        self.launch_worker(state.path)

    @work(thread=True, exclusive=True, group="launch")
    def launch_worker(self, path: Path, start: StartRequest | None = None) -> None:
        """Start the run. Without ``start`` (a plain F5) it first asks when the output_dir already holds a run's
        results: a checkpoint to resume, a final model, another preset's checkpoints or a live run."""
        from engine.preset import load_config
        from engine.runs.launch import launch
        from engine.runs.output_dir import StartRequest, question_before_launch

        try:
            if start is None:
                question = question_before_launch(load_config(path), path)
                if question is not None:
                    self.call_from_thread(self._ask_about_output, path, question)
                    return
            handle = launch(path, start=start or StartRequest())
        except TunedeckError as err:
            self.call_from_thread(self.notify, str(err), title="Not launched", severity="error", timeout=15)
            return
        if handle.plan is not None and handle.plan.skipped:
            self.call_from_thread(self.notify, "Skipped " + "; ".join(handle.plan.skipped), title="Resume",
                                  severity="warning", timeout=15)
        self.call_from_thread(self.show_run, handle.run_dir)

    def _ask_about_output(self, path: Path, question: LaunchQuestion) -> None:
        from engine.runs.output_dir import StartRequest

        from .screens.launch_choice import LaunchChoice

        requests = {
            "resume": StartRequest(overwrite=question.existing.final_model, must_resume=True),
            "overwrite": StartRequest(overwrite=True),
            "fresh": StartRequest(fresh=True),
        }

        def chosen(choice: str | None) -> None:
            if choice in requests:
                self.launch_worker(path, requests[choice])

        self.push_screen(LaunchChoice(question), chosen)

    def show_run(self, run_dir: Path) -> None:
        from .screens.run import RunScreen

        self.push_screen(RunScreen(Path(run_dir)))

    def action_runs(self) -> None:
        from .screens.runs import RunsScreen

        self.push_screen(RunsScreen())

    def on_run_screen_show_runs(self, message: Message) -> None:
        """The runs list, asked for on a run screen that was not opened from it."""
        self.action_runs()

    def on_run_screen_open_knob(self, message: Any) -> None:
        """A failed run blamed a knob: back to the editor on that knob (opening its preset if need be)."""
        target = Path(message.preset_path)
        editor = self.editor
        same = editor is not None and editor.state.path is not None and _same_file(editor.state.path, target)
        if not same:
            if not target.is_file():
                self.notify(f"{target}: the preset is gone; open it again to fix {message.key}.", severity="error")
                return
            self._unless_unsaved("opening the run's preset",
                                 lambda: self.open_path(target) and self.call_later(self._focus_knob, message.key))
            return
        while self.screen is not editor:
            self.pop_screen()
        self.call_later(self._focus_knob, message.key)

    async def _focus_knob(self, key: str) -> None:
        if self.editor is not None and not await self.editor.focus_knob(key):
            self.notify(f"The run blamed '{key}', which the editor does not show; see the YAML view (f3).")

    # ---- quitting --------------------------------------------------------------------------------------------
    def _unless_unsaved(self, what: str, proceed: Callable[[], Any]) -> None:
        """Run ``proceed`` now, or after the user chose save/discard when the editor has unsaved changes."""
        editor = self.editor
        if editor is None or not editor.state.dirty:
            proceed()
            return

        def answered(choice: str | None) -> None:
            if choice == "discard":
                proceed()
            elif choice == "save":
                self.save(editor.state, then=proceed)

        from .screens.confirm import ConfirmUnsaved

        self.push_screen(ConfirmUnsaved(what), answered)

    def _terminal_lost(self) -> None:
        """The terminal is gone: keep unsaved edits in a recovery file and leave (runs go on by themselves)."""
        editor = self.editor
        save_unsaved(editor.state if editor is not None else None)
        # Restoring a terminal that is gone can fail or block; make sure the process really ends.
        threading.Timer(2.0, os._exit, args=(0,)).start()
        self.exit(0)

    async def action_quit(self) -> None:
        self._unless_unsaved("quitting", lambda: self.exit(0))


def _read_preset(path: Path) -> tuple[Preset, Imported | None]:
    """The preset at ``path``, or a new one made from it when it is another tool's config (with its import).
    A preset is read and parsed once; a file YAML cannot read may still be a config to import (JSON)."""
    from engine.importers.signatures import is_foreign
    from engine.preset import Preset, load_preset

    try:
        preset = load_preset(path, remembered=True)  # values from an earlier parse: ruamel waits for the first frame
    except TunedeckError:
        from engine.importers import import_if_foreign

        imported = import_if_foreign(path)
        if imported is None:
            raise
    else:
        if not is_foreign(preset.plain()):  # a preset: the converters are not loaded at all
            return preset, None
        from engine.importers import import_if_foreign

        imported = import_if_foreign(path, preset.doc)
        if imported is None:
            return preset, None
    return Preset(imported.text, None), imported


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def app_for_this_process(preset_path: str | Path | None = None, *, count_data: bool = True) -> TunedeckApp:
    """The app, in a process that runs nothing else. Everything loaded by now (Textual, the knob catalogue) lives
    as long as the process, so it is frozen out of the garbage collector's scans: a full collection of it during
    start-up costs ~15 ms of the first frame. When the collector was paused for start-up (tui.cli.run_app), the
    app freezes what its first frame made too and resumes it then. (Not for tests: apps built by many tests in one
    process would be kept alive.)"""
    app = TunedeckApp(preset_path, count_data=count_data)
    gc.freeze()
    app.collect_after_first_frame = not gc.isenabled()  # paused by tui.cli.run_app for start-up
    return app


def run_app(preset_path: str | Path | None = None) -> int:
    """Run the TUI; returns the process exit code."""
    if preset_path is not None and not Path(preset_path).is_file():
        import sys

        print(f"{preset_path}: no such preset file. Check the path, or run `tunedeck` to pick or create one.",
              file=sys.stderr)
        return 2
    app = app_for_this_process(preset_path)
    result = app.run()
    return int(result or app.return_code or 0)
