"""The runs list: every known run (the run index, see engine.runs.index), newest first; Enter re-attaches."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from engine.runs.folder import UNREADABLE
from engine.runs.listing import RunLister
from engine.runs.status import RunInfo
from tui.formatting import format_number
from tui.screens.run import RunScreen
from tui.widgets.column_table import ColumnScrollTable

COLUMNS = ("id", "status", "step", "loss", "started", "preset")
RESUMABLE = ("stopped", "failed")
STATUS_STYLE = {"running": "cyan", "starting": "cyan", "finished": "green", "stopped": "yellow", "failed": "red",
                UNREADABLE: "bold red"}


def run_row(info: RunInfo) -> tuple[Text | str, ...]:
    """One table row."""
    total = f"/{info.total_steps}" if info.total_steps else ""
    step = f"{info.step if info.step is not None else '–'}{total}"
    if info.resumed_from_step:
        step += f" (from {info.resumed_from_step})"
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.started_at)) if info.started_at else "–"
    preset = Path(str(info.preset)).name if info.preset else str(info.run_dir) if info.problem else "–"
    status = Text(info.status, style=STATUS_STYLE.get(info.status, ""))
    return (info.run_id, status, step, format_number(info.loss), started, preset)


class RunsScreen(Screen[None]):
    """A table of runs; ``scan`` adds the runs found under a folder (an output_dir) to the index's."""

    CSS_PATH = "runs.tcss"
    AUTO_FOCUS = "#runs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "attach", "Attach"),
        Binding("r", "resume", "Resume"),
        Binding("c", "chat", "Chat"),
        Binding("v", "chat(True)", "Compare", tooltip="Chat with the tuned model and its base side by side"),
        Binding("f5,ctrl+r", "reload", "Refresh"),
        Binding("escape,b", "back", "Back"),
    ]

    def __init__(self, scan: str | Path | None = None, *, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.scan = scan
        self.refresh_interval = refresh_interval
        self.runs: list[RunInfo] = []
        self._lister = RunLister(scan)
        self._resumable: bool | None = None  # what the footer last showed for Resume

    def compose(self) -> ComposeResult:
        yield Static("[b]Runs[/b]  [dim]newest first · Enter attaches · r resumes a stopped or failed run[/]",
                     id="runs-title")
        table = ColumnScrollTable(id="runs", cursor_type="row", zebra_stripes=True)  # ←→ by column at 80 wide
        for name in COLUMNS:
            table.add_column(name, key=name)
        yield table
        yield Static(id="runs-empty")
        yield Static(id="runs-unreadable")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_reload()
        self.set_interval(self.refresh_interval, self.action_reload, name="runs-refresh")

    @work(thread=True, exclusive=True, group="runs")
    def action_reload(self) -> None:
        # Reads files and looks at /proc for every run: never on the UI thread.
        try:
            runs = self._lister.list()[::-1]  # newest first
            error = None
        except Exception as exc:  # a broken index must not take the app down
            runs, error = [], str(exc)
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(self.show_runs, runs, error)

    def show_runs(self, runs: list[RunInfo], error: str | None = None) -> None:
        table = self.query_one(DataTable)
        selected = self.selected_run_dir()
        same_runs = [r.run_dir for r in runs] == [r.run_dir for r in self.runs]
        old = {str(r.run_dir): run_row(r) for r in self.runs}
        self.runs = runs
        if same_runs:  # update changed cells in place: no flicker, cursor and scroll stay
            for info in runs:
                key, row = str(info.run_dir), run_row(info)
                for column, value, before in zip(COLUMNS, row, old[key], strict=False):
                    if str(value) != str(before) or getattr(value, "style", None) != getattr(before, "style", None):
                        table.update_cell(key, column, value)
        else:
            table.clear()
            for info in runs:
                table.add_row(*run_row(info), key=str(info.run_dir))
            keys = [str(info.run_dir) for info in runs]
            if selected is not None and str(selected) in keys:
                table.move_cursor(row=keys.index(str(selected)), animate=False)
        empty = self.query_one("#runs-empty", Static)
        empty.display = not runs
        if error:
            empty.update(Text.assemble(("Could not list runs: ", "red"), error))  # plain: paths hold brackets
        elif not runs:
            empty.update("No runs yet. Launch one from the editor, or `tunedeck train PRESET`.")
        problems = [r.problem for r in runs if r.problem]
        unreadable = self.query_one("#runs-unreadable", Static)
        unreadable.display = bool(problems)
        unreadable.update(Text("\n".join(f"unreadable: {p}" for p in problems), style="red"))
        self._follow_resumable()

    def _follow_resumable(self) -> None:
        """Resume shows only on a stopped or failed run. Redraw the footer only when that changes: the list is
        reread every few seconds, and a footer rebuilt each time is needless traffic over SSH."""
        resumable = self.check_action("resume", ())
        if resumable != self._resumable:
            self._resumable = resumable
            self.refresh_bindings()

    def selected_run_dir(self) -> Path | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row is None or not 0 <= table.cursor_row < len(self.runs):
            return None
        return Path(self.runs[table.cursor_row].run_dir)

    def selected_run(self) -> RunInfo | None:
        run_dir = self.selected_run_dir()
        return next((r for r in self.runs if Path(r.run_dir) == run_dir), None) if run_dir else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":  # shown (and allowed) only on a stopped or failed run
            run = self.selected_run()
            return run is not None and run.status in RESUMABLE
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._follow_resumable()

    def action_resume(self) -> None:
        run = self.selected_run()
        if run is not None and run.status in RESUMABLE:
            self.notify(f"Resuming {run.run_id}…", timeout=3)
            self._resume_in_thread(Path(run.run_dir))

    @work(thread=True, exclusive=True, group="resume")
    def _resume_in_thread(self, run_dir: Path) -> None:
        # Launching reads the output_dir and starts processes: never on the UI thread.
        from engine.errors import TunedeckError
        from engine.runs.launch import resume_run

        try:
            handle = resume_run(run_dir)
        except TunedeckError as err:
            self.app.call_from_thread(self.notify, str(err), title="Not resumed", severity="error", timeout=15)
            return
        self.app.call_from_thread(self.app.push_screen, RunScreen(handle.run_dir, from_list=True))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_attach()

    def action_attach(self) -> None:
        run_dir = self.selected_run_dir()
        if run_dir is None:
            return
        problem = self.runs[self.query_one(DataTable).cursor_row].problem
        if problem:  # nothing to follow: say what is wrong instead of a screen guessing at the run
            self.notify(problem, title="Run unreadable", severity="error", timeout=15)
            return
        self.app.push_screen(RunScreen(run_dir, from_list=True))

    def action_chat(self, compare: bool = False) -> None:
        """Chat with the selected run's model (its latest checkpoint while it trains); compare: beside its base."""
        from tui.screens.chat import ChatScreen

        run_dir = self.selected_run_dir()
        if run_dir is not None:
            self.app.push_screen(ChatScreen(str(run_dir), compare=compare))

    def action_back(self) -> None:
        below = self.app.screen_stack[:-1]
        if len(below) > 1 or (below and below[-1].children):
            self.dismiss()
        else:
            self.app.exit()
