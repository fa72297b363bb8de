"""The run screen: the launch command, live progress and charts, the tailing log, and stop / detach / runs.

It reads the run folder through engine.runs on timers (the events' fold, the status, the log tail); it never holds
the trainer's pipes, so leaving the screen, quitting the app or losing the terminal leaves training running. A run
it sees end without a final event is recorded as such (engine.runs.status.record_outcome).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static

from engine.runs import folder
from engine.runs.control import stop_run
from engine.runs.folder import ACTIVE_STATUSES, FINAL_STATUSES, UNREADABLE
from engine.runs.log_tail import tail_lines
from engine.runs.status import record_outcome, run_info, wall_seconds
from engine.runs.view import RunView, fold
from tui.formatting import format_duration, format_number
from tui.widgets.log_pane import LogPane
from tui.widgets.metrics import PREFERENCE_CHARTS, DetailsLine, MetricChart, ProgressLine
from tui.widgets.samples_pane import SamplesPane
from tui.widgets.scroll_text import ScrollText

if TYPE_CHECKING:  # engine.estimate is imported in a worker thread, once the run has started
    from engine.estimate.report import Report

STATUS_STYLE = {"loading…": "dim", "starting": "cyan", "running": "cyan", "stopping…": "yellow", "finished": "green",
                "stopped": "yellow", "failed": "bold red"}
ERROR_LOG_LINES = 8


def format_started(value: Any) -> str:
    """state.json's started_at (unix seconds or ISO text) as local "YYYY-MM-DD HH:MM"."""
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value[:16]
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone()
        return parsed.strftime("%Y-%m-%d %H:%M")
    return ""


def peak_memory_items(view: RunView, estimate: Report | str | None = None) -> list[str]:
    """The peak GPU memory the step events measured (largest over processes), beside the estimate's expected
    figure when there is one; nothing on a CPU run."""
    allocated = view.peak_memory.get("peak_memory_allocated_gib")
    reserved = view.peak_memory.get("peak_memory_reserved_gib")
    if allocated is None and reserved is None:
        return []
    shown = f"peak GPU memory {format_number(allocated, 3)} GiB"
    shown += f" (reserved {format_number(reserved, 3)})" if reserved is not None else ""
    if estimate is not None and not isinstance(estimate, str):
        shown += f", estimated {format_number(estimate.memory.expected, 3)}"
    return [shown]


def estimated_time(estimate: Report | str | None) -> str:
    """The pre-launch time range, for the progress line beside the measured ETA; "" when there is none."""
    if estimate is None or isinstance(estimate, str) or estimate.time is None:
        return ""
    return f"estimated {format_duration(estimate.time.low_s)}–{format_duration(estimate.time.high_s)}"


class RunScreen(Screen[None]):
    """Watch one run (live or finished). ``run_dir`` is the run folder (``<output_dir>/runs/<id>``)."""

    CSS_PATH = "run.tcss"
    AUTO_FOCUS = "#log"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "Stop", tooltip="Save a checkpoint, then stop (resume from it later)"),
        # Leaving the screen: "Detach" while the run lives (it goes on training), "Back" once it has ended.
        Binding("d", "detach", "Detach"),
        Binding("escape", "detach", "Detach", show=False),
        Binding("escape", "back", "Back"),
        Binding("d", "back", "Back", show=False),
        Binding("r", "runs", "Runs"),
        Binding("k", "open_knob", "Fix", tooltip="Open the preset in the editor at the knob that failed"),
        Binding("c", "chat", "Chat"),
        Binding("v", "chat(True)", "Compare", tooltip="Chat with the tuned model and its base side by side"),
        # shown once the run has sample answers
        Binding("a", "toggle_samples", "Samples", tooltip="Sample answers or the log, in turn"),
    ]

    class ShowRuns(Message):
        """Posted for "Runs" when this screen was not opened from the runs list; the app opens the list."""

    class OpenKnob(Message):
        """Posted when the user asks to fix the knob a failed run blamed; the app opens the editor there."""

        def __init__(self, preset_path: Path, key: str) -> None:
            super().__init__()
            self.preset_path = preset_path
            self.key = key

    def __init__(self, run_dir: str | Path, *, from_list: bool = False, events_interval: float = 0.25,
                 status_interval: float = 1.0) -> None:
        """``from_list``: opened from the runs list, so "Runs" goes back to it."""
        super().__init__()
        self.run_dir = Path(run_dir)
        self.from_list = from_list
        self.view = RunView()
        self.status = "loading…"
        self.loaded = False  # the run's history is read (in a thread) and the live polling has started
        self.stopping = False
        self.why: str | None = None  # the runs module's reason for a failure without an error event
        self._events = folder.EventTail(self.run_dir)
        self._events_interval = events_interval
        self._status_interval = status_interval
        self._shown_status = ""
        self.estimate: Report | str | None = None  # the pre-launch estimate from the run's preset, once made
        self._estimating = False

    # -- layout --------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="command")
        yield Static(id="outcome")
        yield ScrollText(id="error")  # a long error with the log's last lines: Tab to it and scroll
        with Horizontal(id="metrics"):
            with Vertical(id="progress-box"):
                yield ProgressLine(id="progress")
                yield DetailsLine(id="details")
            with Vertical(id="charts"):
                yield MetricChart("loss", id="loss")
                yield MetricChart("lr", mark="max", id="lr")
            with Vertical(id="preference-charts"):  # shown once a step carries a preference metric
                for name, title, mark in PREFERENCE_CHARTS:
                    yield MetricChart(title, mark=mark, id=f"metric-{name}", classes="-inline")
            with Vertical(id="eval-charts"):  # shown once the run has sample answers
                yield MetricChart("perplexity", id="perplexity")
                yield MetricChart("chrF", mark="max", id="chrf")
        with ContentSwitcher(initial="log", id="panes"):
            yield LogPane(folder.log_path(self.run_dir), id="log")
            yield SamplesPane(id="samples")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        command = folder.read_command(self.run_dir)
        shown = f"[dim]$[/] {escape(command)}" if command else "[dim](no command.txt)[/]"
        self.query_one("#command", Static).update(shown)
        self._show_title()
        self._load_history()

    @work(thread=True, exclusive=True, group="history")
    def _load_history(self) -> None:
        # A long run's events.jsonl holds tens of MB: read and fold it off the UI thread.
        view = fold(self._events.read_new())
        self._to_ui(self._history_loaded, view, *self._status_now(view))

    def _history_loaded(self, view: RunView, status: str, why: str | None) -> None:
        self.view = view
        self.loaded = True
        self._show_metrics()
        self._apply_status(status, why)
        self.set_interval(self._events_interval, self.refresh_events, name="run-events")
        self.set_interval(self._status_interval, self._poll_status, name="run-status")

    def _to_ui(self, callback: Any, *args: Any) -> None:
        """Run ``callback`` on the UI thread from a worker thread; nothing if the app closed meanwhile."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)

    @work(thread=True, exclusive=True, group="estimate")
    def _make_estimate(self, steps_per_epoch: int | None, data: dict[str, int]) -> None:
        # Reads the model's config.json and may ask nvidia-smi for the GPU: off the UI thread, once.
        from engine.runs.estimate import run_estimate

        self._to_ui(self._estimate_made, run_estimate(self.run_dir, steps_per_epoch, data))

    def _estimate_made(self, estimate: Report | str) -> None:
        self.estimate = estimate
        self._show_metrics()

    # -- polling -------------------------------------------------------------------------------------------
    @property
    def preset_path(self) -> Path:
        """The preset the user edits: the one the run was launched from when it still exists, else the run's copy."""
        original = folder.read_state(self.run_dir).get("preset")
        if original and Path(original).is_file():
            return Path(original)
        return self.run_dir / folder.PRESET_FILE

    def refresh_events(self) -> None:
        events = self._events.read_new()
        if not events:
            return
        self.view.apply_all(events)
        if self.view.ended_as:
            self.refresh_status()
        self._show_metrics()

    def refresh_status(self) -> None:
        """Read the status now (on the UI thread: used on mount and when a final event arrives)."""
        self._apply_status(*self._status_now(self.view))

    def _status_now(self, view: RunView) -> tuple[str, str | None]:
        """(status, why a run failed without an error event). The final event this screen read wins: state.json
        may lag behind it. A run seen to end without one is recorded as such (engine.runs.status)."""
        if view.ended_as:
            return view.ended_as, None
        try:
            info = run_info(self.run_dir)
            if info.status in FINAL_STATUSES:
                info = record_outcome(self.run_dir)
        except OSError as err:  # a folder being removed or unreadable must not take the screen down
            return self.status, str(err)
        return info.status, info.message

    def _poll_status(self) -> None:
        if self.view.ended_as:  # final: nothing left to ask the processes
            return
        self._status_in_thread()

    @work(thread=True, exclusive=True, group="status")
    def _status_in_thread(self) -> None:
        # Status looks at /proc and reads the events' ends: keep that off the UI thread.
        self._to_ui(self._apply_status, *self._status_now(self.view))

    def _apply_status(self, status: str, why: str | None = None) -> None:
        self.why = why
        if self.view.ended_as:
            status = self.view.ended_as
        elif status in ACTIVE_STATUSES and self.stopping:
            status = "stopping…"
        self.status = status
        if status == self._shown_status:
            return
        self._shown_status = status
        self._show_title()
        self._show_metrics()  # (and the outcome line)
        self._show_error()
        self.refresh_bindings()

    # -- rendering -----------------------------------------------------------------------------------------
    def _show_title(self) -> None:
        state = folder.read_state(self.run_dir)
        run_id = state.get("run_id") or self.run_dir.name
        style = STATUS_STYLE.get(self.status, "bold")
        parts = [f"[b]Run {escape(str(run_id))}[/b]", f"[{style}]{escape(self.status)}[/]"]
        preset = state.get("preset")
        if preset:
            parts.append(escape(Path(str(preset)).name))
        started = format_started(state.get("started_at"))
        if started:
            parts.append(started)
        resumed = self.view.resumed_from_step or state.get("resumed_from_step")
        if resumed:
            parts.append(f"resumed from step {resumed}")
        self.query_one("#title", Static).update(" · ".join(parts))

    def _show_metrics(self) -> None:
        view = self.view
        if view.started and not self._estimating:
            self._estimating = True
            self._make_estimate(view.steps_per_epoch, dict(view.data))
        took = wall_seconds(folder.read_state(self.run_dir), view) if self.ended else None
        self.query_one(ProgressLine).show(view, self.status, estimated_time(self.estimate), took)
        self.query_one("#loss", MetricChart).show(view.losses.values, view.loss)
        self.query_one("#lr", MetricChart).show(view.learning_rates.values, view.learning_rate)
        self._show_preference_metrics()
        self._show_samples()
        details: list[str] = []
        if view.eval_losses:
            step, loss = view.eval_losses[-1]
            details.append(f"eval loss {format_number(loss)} @ {step}")
            details += [f"eval {label} {format_number(view.eval_metrics[name], 3)}"
                        for name, label in (("eval_rewards_accuracy", "accuracy"), ("eval_rewards_margin", "margin"))
                        if name in view.eval_metrics]
        if view.checkpoints:  # not a count: save_total_limit deletes older ones as it goes
            details.append(f"last checkpoint @ {view.checkpoints[-1][0]}")
        if view.grad_norm is not None:
            details.append(f"grad norm {format_number(view.grad_norm, 3)}")
        details += peak_memory_items(view, self.estimate)
        self.query_one(DetailsLine).show(details)
        self._show_outcome()

    def _show_preference_metrics(self) -> None:
        """Each preference metric the run reports, latest value and sparkline; the column only for such runs."""
        any_shown = False
        for name, _, _ in PREFERENCE_CHARTS:
            values = self.view.history(name)
            chart = self.query_one(f"#metric-{name}", MetricChart)
            chart.display = bool(values)
            if values:
                chart.show(values, self.view.metrics.get(name))
                any_shown = True
        self.query_one("#preference-charts").display = any_shown

    def _show_samples(self) -> None:
        view = self.view
        pane = self.query_one(SamplesPane)
        if len(view.samples) == pane.shown_count:
            return
        first = not pane.shown_count
        pane.show(view.samples)
        for chart_id, key in (("perplexity", "perplexity"), ("chrf", "chrf")):
            scores = view.sample_scores(key)
            self.query_one(f"#{chart_id}", MetricChart).show(scores, scores[-1] if scores else None)
        self.query_one("#eval-charts").display = True
        if first:
            self.refresh_bindings()  # the samples key appears

    def _show_outcome(self) -> None:
        """Where the result went, for a finished or stopped run."""
        result = self.view.result or {}
        outcome = self.query_one("#outcome", Static)
        text = ""
        if self.view.ended_as == "finished":
            saved = result.get("adapter_dir") or result.get("model_dir") or result.get("output_dir")
            text = f"[green]✓ finished[/] — saved to [b]{escape(str(saved))}[/]" if saved else "[green]✓ finished[/]"
        elif self.view.ended_as == "stopped" or self.status == "stopped":
            text = f"[yellow]■ stopped at step {self.view.step}[/]"
            if result.get("checkpoint"):
                text += (f" — checkpoint [b]{escape(str(result['checkpoint']))}[/] (launch the preset again, or "
                         "r in the runs list, to resume from it)")
            elif self.why:  # stopped by force before the trainer could write its final event
                text += f" — {escape(self.why)}"
        outcome.update(text)
        outcome.display = bool(text)

    def _show_error(self) -> None:
        panel = self.query_one("#error", ScrollText)
        if self.status != "failed":
            panel.display = False
            return
        error = self.view.error or {}
        message = error.get("message") or self.why or (
            "The training process ended without saying why (killed, out of memory, or the machine restarted)."
        )
        lines = [f"[b]Training failed:[/b] {escape(str(message))}"]
        if error.get("key"):
            lines.append(f"Culprit knob: [b]{escape(str(error['key']))}[/b] — press [b]k[/b] to open the preset there.")
        log_tail = error.get("log_tail")
        if isinstance(log_tail, str):
            log_tail = log_tail.splitlines()
        if not log_tail:
            log_tail = tail_lines(folder.log_path(self.run_dir), ERROR_LOG_LINES)
        if log_tail:
            lines.append(f"[dim]── last lines of {folder.log_path(self.run_dir).name} ──[/]")
            lines += [f"[dim]{escape(str(line))}[/]" for line in list(log_tail)[-ERROR_LOG_LINES:]]
        panel.update("\n".join(lines))
        panel.display = True

    # -- actions -------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.status in ACTIVE_STATUSES
        if action in ("detach", "back"):
            return (action == "back") == self.ended
        if action == "toggle_samples":
            return bool(self.view.samples)
        if action == "open_knob":
            return bool(self.status == "failed" and (self.view.error or {}).get("key"))
        return True

    def action_stop(self) -> None:
        if self.status not in ACTIVE_STATUSES or self.stopping:
            return
        self.stopping = True
        self.notify("Stopping: the trainer saves a checkpoint, then exits.", title="Stop requested")
        self.refresh_status()
        self._stop_in_thread()

    def _stop_in_thread(self) -> None:
        # A daemon thread, not a worker: stop_run waits (up to minutes) for the trainer to save and exit, and
        # quitting the app meanwhile must not hang on it. The stop file is written first, so the stop holds anyway.
        def stop() -> None:
            try:
                stop_run(self.run_dir)
            except Exception as exc:  # TunedeckError and OS errors: say it, keep the screen
                self._to_ui(self._stop_failed, str(exc))

        threading.Thread(target=stop, name="tunedeck-stop", daemon=True).start()

    def _stop_failed(self, message: str) -> None:
        self.stopping = False
        self.notify(message, title="Could not stop the run", severity="error")
        self.refresh_status()

    @property
    def ended(self) -> bool:
        """The run is over (or its folder unreadable): leaving the screen leaves nothing running behind."""
        return self.status in FINAL_STATUSES or self.status == UNREADABLE

    def action_back(self) -> None:
        self.action_detach()

    def action_detach(self) -> None:
        """Leave the run going: back to the previous screen, or quit when there is nothing under this one."""
        below = self.app.screen_stack[:-1]
        if len(below) > 1 or (below and below[-1].children):
            self.dismiss()
        else:
            self.app.exit()

    def action_toggle_samples(self) -> None:
        """Swap the log for the sample answers and back; the shown one takes the focus, so arrows scroll it."""
        switcher = self.query_one("#panes", ContentSwitcher)
        switcher.current = "samples" if switcher.current == "log" else "log"
        self.query_one(f"#{switcher.current}").focus()

    def action_chat(self, compare: bool = False) -> None:
        """Chat with this run's model: its final weights, or its latest checkpoint while it trains (said so)."""
        from tui.screens.chat import ChatScreen

        self.app.push_screen(ChatScreen(str(self.run_dir), compare=compare))

    def action_runs(self) -> None:
        if self.from_list:
            self.dismiss()
        else:
            self.post_message(self.ShowRuns())

    def action_open_knob(self) -> None:
        key = (self.view.error or {}).get("key")
        if key:
            self.post_message(self.OpenKnob(self.preset_path, str(key)))
