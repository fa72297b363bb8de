"""Headless follower of a run folder, used by ``tunedeck train`` (foreground) and ``tunedeck attach``.

It tails train.log (printing lines as a terminal finally shows them, see engine.runs.log_tail) and events.jsonl (a
rich progress bar: step/total, epoch, loss, lr, tokens/s, ETA; eval losses and checkpoints as lines). It ends when
a final event arrives or the processes are gone, and returns 0 only for a finished run. On a non-terminal output
it prints plain lines and no bar. Once the run is over it writes the verdict to state.json if the trainer could not
(engine.runs.status.record_outcome); stopping the follower never touches the run.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from engine.runs import folder
from engine.runs.folder import FINAL_STATUSES, UNREADABLE
from engine.runs.log_tail import LogTail, last_lines_offset
from engine.runs.processes import run_alive
from engine.runs.rendezvous import failure_message
from engine.runs.status import record_outcome, run_info
from engine.runs.view import RunView

_METRICS_DICT = re.compile(r"^\{'(loss|eval_loss)': .*\}$")
_CPP_BACKTRACE = re.compile(
    r"^(Exception raised from .*\(most recent call first\):$|frame #\d+: |<omitting python frames>$)")
_LAUNCHER_NOISE = re.compile(r"^Traceback \(most recent call last\)|^E\d{4} .*elastic|ChildFailedError|^=+$")


def _fmt_eta(seconds: Any) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def describe_step(ev: dict[str, Any]) -> str:
    return "  ".join([f"step {ev.get('step')}/{ev.get('total_steps') or '?'}", *step_details(ev)])


def describe_samples(ev: dict[str, Any]) -> list[str]:
    """A samples event as lines: the scores, then each prompt's answer under its reference."""
    scores = [f"{name} {ev[key]:.4g}" for key, name in (("perplexity", "perplexity"), ("chrf", "chrF"))
              if isinstance(ev.get(key), (int, float))]
    lines = [f"samples  step {ev.get('step')}  " + "  ".join(scores)]
    for n, sample in enumerate(ev.get("samples") or [], 1):
        lines.append(f"  {n}. reference: {sample.get('reference', '')}")
        lines.append(f"     answer:    {sample.get('answer', '')}")
    return lines


def step_details(ev: dict[str, Any]) -> list[str]:
    """epoch, loss, lr, tokens/s, ETA of a step event, as short labelled texts."""
    parts = []
    if ev.get("epoch") is not None:
        parts.append(f"ep {ev['epoch']:.2f}")
    if ev.get("loss") is not None:
        parts.append(f"loss {ev['loss']:.4g}")
    if ev.get("learning_rate") is not None:
        parts.append(f"lr {ev['learning_rate']:.1e}")
    if ev.get("tokens_per_second"):
        parts.append(f"{ev['tokens_per_second']:.0f} tok/s")
    if ev.get("eta_seconds") is not None:
        parts.append(f"ETA {_fmt_eta(ev['eta_seconds'])}")
    return parts


class Reporter:
    """Follow one run until it ends. ``follow()`` returns the exit code (0 only when finished)."""

    def __init__(self, run_dir: str | os.PathLike[str], console: Console | None = None, *,
                 backlog_lines: int | None = None, poll: float = 0.25, show_log: bool = True,
                 exit_wait: float = 30.0) -> None:
        self.run_dir = Path(run_dir)
        self.console = console or Console(highlight=False)
        self.poll = poll
        self.exit_wait = exit_wait
        self.show_log = show_log
        log_path = self.run_dir / folder.LOG_FILE
        offset = 0 if backlog_lines is None else last_lines_offset(log_path, backlog_lines)
        self.log = LogTail(log_path, start_at=offset)
        self.events = folder.EventTail(self.run_dir)
        self.view = RunView()  # the events so far, folded
        self.omitted = 0  # launcher traceback lines held back after the final event (or of a failed rendezvous)
        self.held: list[str] = []  # a traceback being read, shown or left out once its last line is known
        self.replaying = backlog_lines is not None  # attaching: past step events are not printed one by one
        self.last_step: dict[str, Any] = {}
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    # -- output ---------------------------------------------------------------------------------------------

    def _print(self, text: str, style: str | None = None) -> None:
        target = self.progress.console if self.progress else self.console
        target.print(escape(text), style=style, soft_wrap=True)

    def _make_progress(self) -> Progress:
        return Progress(
            TextColumn("[bold]{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"), console=self.console, transient=False,
        )

    @property
    def final(self) -> dict[str, Any] | None:
        """The final event, once it arrived."""
        return self.view.error or self.view.result

    def _handle_event(self, ev: dict[str, Any], quiet: bool = False) -> None:
        self.view.apply(ev)
        kind = ev.get("event")
        if kind == "start":
            self._print(
                f"training: {ev.get('total_steps')} steps, {ev.get('num_epochs')} epochs, "
                f"{ev.get('num_processes')} process(es), effective batch {ev.get('effective_batch_size')}",
                "bold",
            )
            if self.progress is not None and self.task is not None:
                self.progress.update(self.task, total=ev.get("total_steps"))
        elif kind == "step":
            self.last_step = ev
            if self.progress is not None and self.task is not None:
                self.progress.update(self.task, completed=ev.get("step") or 0,
                                     total=ev.get("total_steps") or None, info="  ".join(step_details(ev)))
            elif not quiet:
                self._print(describe_step(ev))
        elif kind == "eval":
            loss = ev.get("eval_loss")
            shown = f"{loss:.4g}" if isinstance(loss, (int, float)) else loss
            pairs = [f"{name.removeprefix('eval_rewards_').removeprefix('eval_')} {value:.3g}"
                     for name in ("eval_rewards_accuracy", "eval_rewards_margin", "eval_kl")
                     if isinstance(value := ev.get(name), (int, float))]
            self._print(f"eval  step {ev.get('step')}  eval_loss {shown}" + "".join(f"  {p}" for p in pairs), "cyan")
        elif kind == "samples":
            for line in describe_samples(ev):
                self._print(line, "magenta")
        elif kind == "checkpoint":
            self._print(f"checkpoint  step {ev.get('step')}  {ev.get('path')}", "green")

    def _without_rendezvous_tracebacks(self, lines: list[str], flush: bool) -> list[str]:
        """Hold a traceback back until its last line says what it is: the launcher's traceback of machines that
        did not meet is left out (the summary says it in words, see engine.runs.rendezvous); others are shown.
        torch's C++ backtraces (frame addresses) are left out too."""
        shown: list[str] = []
        for line in lines:
            if _CPP_BACKTRACE.match(line):  # torch's C++ frames under its warnings: addresses, in train.log
                self.omitted += 1
            elif self.held:
                self.held.append(line)
                if line[:1].isspace():  # a frame: the traceback goes on
                    continue
                if failure_message(line):
                    self.omitted += len(self.held)
                else:
                    shown += self.held
                self.held = []
            elif line.startswith("Traceback (most recent call last)"):
                self.held = [line]
            else:
                shown.append(line)
        if flush:
            shown, self.held = shown + self.held, []
        return shown

    def _drain(self, flush: bool = False) -> None:
        if self.show_log:
            for line in self._without_rendezvous_tracebacks(self.log.read_lines(flush=flush), flush):
                # After the trainer's final event, a launcher's traceback only repeats "a rank exited non-zero".
                if self.final is not None and (self.omitted or _LAUNCHER_NOISE.search(line)):
                    self.omitted += 1
                    continue
                if not (_METRICS_DICT.match(line) or folder.METRIC_LINE.match(line)):
                    self._print(line, "dim")
        new = self.events.read_new()
        replay, self.replaying = self.replaying, False
        for ev in new:
            self._handle_event(ev, quiet=replay)
        if replay and self.last_step and self.progress is None:
            self._print(describe_step(self.last_step))  # history: only where it stands now

    # -- the loop -------------------------------------------------------------------------------------------

    def follow(self) -> int:
        live = self.console.is_terminal
        if live:
            self.progress = self._make_progress()
            self.task = self.progress.add_task("train", total=None, info="starting…")
            self.progress.start()
        try:
            status = self._loop()
        finally:
            if self.progress is not None:
                self.progress.stop()
                self.progress = None
        return self._summary(status)

    def _loop(self) -> str:
        dead_since: float | None = None
        while True:
            self._drain()
            if self.final is not None:
                # The processes print and tidy up after their final event: wait for them (bounded), keep printing.
                until = time.monotonic() + self.exit_wait
                while time.monotonic() < until and run_alive(folder.read_state(self.run_dir)):
                    time.sleep(self.poll)
                    self._drain()
                self._drain(flush=True)
                return record_outcome(self.run_dir).status
            status = run_info(self.run_dir).status
            if status in (*FINAL_STATUSES, UNREADABLE):
                # Gone without a final event (or already over): a last read, then say so (and write it down).
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > self.poll:
                    self._drain(flush=True)
                    return record_outcome(self.run_dir).status
            time.sleep(self.poll)

    def _summary(self, status: str) -> int:
        info = run_info(self.run_dir)
        final = self.final or {}
        if status == "finished":
            where = final.get("adapter_dir") or final.get("model_dir") or final.get("output_dir")
            self.console.print(f"[bold green]finished[/] at step {final.get('step', info.step)}"
                               + (f": {escape(str(where))}" if where else ""))
            return 0
        if status == "stopped":
            ckpt = final.get("checkpoint")
            self.console.print(f"[bold yellow]stopped[/] at step {final.get('step', info.step)}"
                               + (f"; checkpoint {escape(str(ckpt))}" if ckpt else "; no checkpoint saved"))
            return 1
        if status == UNREADABLE:
            self.console.print(f"[bold red]unreadable[/]: {escape(str(info.message))}")
            return 1
        if self.omitted:
            self.console.print(f"[dim]({self.omitted} lines of the launcher's traceback left out; they are in "
                               "train.log)[/]")
        message = final.get("message") or info.message or "see train.log"
        self.console.print(f"[bold red]failed[/]: {escape(str(message))}")
        self.console.print(f"log: {escape(str(self.run_dir / folder.LOG_FILE))}")
        return 1


def follow_run(run_dir: str | os.PathLike[str], *, backlog_lines: int | None = None,
               console: Console | None = None) -> int:
    return Reporter(run_dir, console, backlog_lines=backlog_lines).follow()
