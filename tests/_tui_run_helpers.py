"""Helpers for the run-screen tests: run folders written by the test, a host app, and a fake trainer process.

The fake trainer (``python tests/_tui_run_helpers.py RUN_DIR STEPS STEP_SECONDS``) speaks the run-folder contract:
it prints ANSI-coloured lines and a tqdm-style bar rewritten with "\\r" to stdout (train.log), appends
start/step/eval/checkpoint/finished events, and honours RUN/stop and SIGTERM with a checkpoint and a "stopped" event.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _tui_wait import wait_until  # the one wait; the tests import it from here too
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.widgets import DataTable, Label

from engine.runs import folder

HERE = Path(__file__).resolve()
FIXED_START = 1_767_261_600.0  # 2026-01-01 10:00:00 UTC: snapshots must not depend on today


def make_run_dir(root: Path, run_id: str = "20260101-100000-chat", *, status: str = "running",
                 command: str = "accelerate launch --cpu -m engine.train RUN", **state: Any) -> Path:
    run_dir = root / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / folder.COMMAND_FILE).write_text(command + "\n")
    (run_dir / folder.PRESET_FILE).write_text("base_model: tiny\n")
    folder.write_json_atomic(run_dir / folder.STATE_FILE, {
        "run_id": run_id, "status": status, "started_at": FIXED_START, "preset": "presets/tiny/chat.yaml", **state,
    })
    return run_dir


def write_event(run_dir: Path, event: str, at: float | None = None, **fields: Any) -> None:
    """An event with a chosen time (append_event stamps now; snapshots need fixed times)."""
    import json

    record = {"event": event, "time": FIXED_START if at is None else at, **fields}
    with open(run_dir / folder.EVENTS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def write_log(run_dir: Path, text: str) -> None:
    with open(run_dir / folder.LOG_FILE, "a", encoding="utf-8") as fh:
        fh.write(text)


def finished_run(root: Path, steps: int = 20) -> Path:
    """A complete past run with deterministic content (events, log with ANSI and tqdm lines)."""
    run_dir = make_run_dir(root, "20260101-100000-chat", status="finished")
    write_log(run_dir, "\x1b[32mtunedeck\x1b[0m: loading presets/tiny/model\n")
    write_event(run_dir, "start", FIXED_START, total_steps=steps, num_epochs=2, steps_per_epoch=steps // 2,
                effective_batch_size=8, num_processes=1, command="accelerate launch")
    for step in range(1, steps + 1):
        write_log(run_dir, f"\r{step * 100 // steps:3d}%|{'#' * (step * 10 // steps):10s}| {step}/{steps}")
        write_event(run_dir, "step", FIXED_START + 3 * step, step=step, total_steps=steps, epoch=step / (steps / 2),
                    loss=round(3.0 / (1 + 0.3 * step), 4), learning_rate=2e-4 * min(1.0, step / 5),
                    grad_norm=1.5, tokens_per_second=2048.0, eta_seconds=3.0 * (steps - step))
        if step % 10 == 0:
            write_event(run_dir, "eval", FIXED_START + 3 * step, step=step, epoch=step / (steps / 2),
                        eval_loss=round(3.2 / (1 + 0.25 * step), 4))
            write_event(run_dir, "checkpoint", FIXED_START + 3 * step, step=step, path=f"out/checkpoint-{step}")
    write_log(run_dir, "\n{'train_loss': 0.91, 'train_runtime': 60.0}\nsaved adapter to out/adapter\n")
    write_event(run_dir, "finished", FIXED_START + 3 * steps + 1, step=steps, output_dir="out",
                adapter_dir="out/adapter")
    return run_dir


def failed_run(root: Path) -> Path:
    """A run that died on a bad knob: an error event naming the key, a traceback in the log."""
    run_dir = make_run_dir(root, "20260101-100000-broken", status="failed")
    write_log(run_dir, "loading presets/tiny/model\nTraceback (most recent call last):\n"
              "  File \"engine/train/__main__.py\", line 12, in main\n"
              "\x1b[31mValueError: sequence_len 99999 is longer than the model's 512 positions\x1b[0m\n")
    write_event(run_dir, "start", FIXED_START, total_steps=50, num_epochs=1, steps_per_epoch=50,
                effective_batch_size=4, num_processes=1, command="accelerate launch")
    write_event(run_dir, "error", FIXED_START + 2,
                message="sequence_len 99999 is longer than the model supports (512 positions). "
                        "Lower sequence_len in the preset.", key="sequence_len")
    return run_dir


class HostApp(App[None]):
    """A stand-in for the real app: a plain home screen, then the screen under test pushed on top."""

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.messages: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Label("home", id="home")

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())

    def on_run_screen_open_knob(self, message: Any) -> None:
        self.messages.append(message)


class Notices:
    """Every notification the app shows, seen through run_test's public message hook:
    ``app.run_test(message_hook=notices)``."""

    def __init__(self) -> None:
        self.shown: list[Notification] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.shown.append(message.notification)

    @property
    def messages(self) -> list[str]:
        return [n.message for n in self.shown]

    def text(self) -> str:
        """Each notification's title and text, a line each."""
        return "\n".join(f"{n.title}: {n.message}" for n in self.shown)


# A text run of Textual's SVG screenshot (rich's export_svg): x is in cells of CHAR_WIDTH, the clip path names the line.
SVG_TEXT = re.compile(r'<text [^>]*\bx="([0-9.]+)"[^>]*clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>')
CHAR_WIDTH = 20 * 0.61  # export_svg's default character height times its font aspect ratio


def screen_text(app: App[Any]) -> str:
    """What the terminal shows, as plain text: read from the public screenshot (blank cells are left out of it)."""
    width, height = app.size
    rows = [[" "] * width for _ in range(height)]
    for x, line, text in SVG_TEXT.findall(app.export_screenshot()):
        column = round(float(x) / CHAR_WIDTH)
        for char in html.unescape(text).replace("\xa0", " "):
            if column < width:
                rows[int(line)][column] = char
            column += max(cell_len(char), 1)
            if cell_len(char) == 2 and column - 1 < width:
                rows[int(line)][column - 1] = ""  # the right half of a wide character
    return "\n".join("".join(row) for row in rows)


def columns_sized(table: DataTable[Any]) -> bool:
    """Every column is as wide as its widest cell. DataTable measures added rows later, when idle: until then a
    table that already has its rows still shows squeezed columns."""
    return all(
        column.content_width >= max([cell_len(str(column.label)),
                                     *(cell_len(str(table.get_cell(row, column.key))) for row in table.rows)])
        for column in table.ordered_columns
    )


async def loaded(pilot: Any, app: App[Any]) -> None:
    """Wait until the run screen on top has read the run's history, then let it paint."""
    assert await wait_until(pilot, lambda: getattr(app.screen, "loaded", False), timeout=30)
    await pilot.pause(0.1)


def start_fake_trainer(run_dir: Path, steps: int = 10, step_seconds: float = 0.2) -> subprocess.Popen[bytes]:
    """Start the fake trainer like launch does: own session, output into train.log, pid in state.json."""
    with open(run_dir / folder.LOG_FILE, "ab") as log:
        proc = subprocess.Popen([sys.executable, str(HERE), str(run_dir), str(steps), str(step_seconds)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    folder.update_state(run_dir, pid=proc.pid, pgid=proc.pid, status="running")
    return proc


def pid_alive(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return raw[raw.rfind(")") + 2] not in "ZX"


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _fake_train(run_dir: Path, steps: int, step_seconds: float) -> int:
    stop = {"asked": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(asked=True))
    out = sys.stdout
    out.write("\x1b[1;32mfake trainer\x1b[0m starting\n")
    out.flush()
    folder.append_event(run_dir, "start", total_steps=steps, num_epochs=1, steps_per_epoch=steps,
                        effective_batch_size=2, num_processes=1, command="fake")
    for step in range(1, steps + 1):
        time.sleep(step_seconds)
        out.write(f"\r{step * 100 // steps:3d}%|{'#' * step}| {step}/{steps}")
        out.flush()
        folder.append_event(run_dir, "step", step=step, total_steps=steps, epoch=step / steps, loss=2.0 / step,
                            learning_rate=1e-4, grad_norm=1.0, tokens_per_second=500.0,
                            eta_seconds=(steps - step) * step_seconds)
        if stop["asked"] or (run_dir / folder.STOP_FILE).exists():
            ckpt = run_dir / f"checkpoint-{step}"
            ckpt.mkdir(exist_ok=True)
            folder.append_event(run_dir, "checkpoint", step=step, path=str(ckpt))
            out.write(f"\nstop requested: saved {ckpt.name}\n")
            out.flush()
            folder.append_event(run_dir, "stopped", step=step, checkpoint=str(ckpt))
            return 0
    out.write("\nfake training done\n")
    out.flush()
    folder.append_event(run_dir, "finished", step=steps, output_dir=str(run_dir), adapter_dir=str(run_dir / "adapter"))
    return 0


if __name__ == "__main__":
    sys.exit(_fake_train(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
