"""Closing the terminal (or losing SSH) while the run screen watches never stops training.

The real `tunedeck` app runs in a pseudo-terminal of its own session, like a shell over SSH. It launches a run
(F5 in the editor; the fake trainer of _runs_helpers stands in for engine.train), shows the run screen, and then
the terminal goes away: the pty is closed, the kernel hangs up the session. The app dies; the run must go on.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _runs_helpers import REPO, events, pid_alive, use_fake_trainer, wait_for, write_preset

from engine.runs import folder
from engine.runs.control import run_status, stop_run

pytestmark = pytest.mark.slow


def _drain(fd: int, sink: bytearray, done: threading.Event) -> None:
    """Read the app's screen output so it never blocks on a full pty."""
    while not done.is_set():
        try:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                sink.extend(os.read(fd, 65536))
        except OSError:  # the pty is gone
            return


@dataclass
class PtyApp:
    pid: int
    fd: int
    screen: bytearray = field(default_factory=bytearray)
    done: threading.Event = field(default_factory=threading.Event)

    def hang_up(self, reader: threading.Thread) -> None:
        """Close the terminal: the kernel hangs up the app's session (SIGHUP, unless the app ignores it)."""
        self.done.set()
        reader.join(5)
        os.close(self.fd)

    def ended(self, timeout: float = 30) -> bool:
        return wait_for(lambda: os.waitpid(self.pid, os.WNOHANG)[0] == self.pid, timeout)


@contextmanager
def app_in_pty(preset: Path, rows: int, cols: int, *,
               ignore_sighup: bool = False) -> Iterator[tuple[PtyApp, threading.Thread]]:
    """The real app in a pseudo-terminal of its own session (a session leader, like a login shell over SSH)."""
    pid, fd = pty.fork()
    if pid == 0:
        if ignore_sighup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # ignored signals stay ignored across exec
        os.chdir(REPO)
        os.execv(sys.executable, [sys.executable, "-m", "tui", str(preset)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    app = PtyApp(pid, fd)
    reader = threading.Thread(target=_drain, args=(fd, app.screen, app.done), daemon=True)
    reader.start()
    try:
        yield app, reader
    finally:
        app.done.set()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def test_closing_the_terminal_leaves_the_run_going(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    monkeypatch.setenv("TERM", "xterm-256color")
    preset = write_preset(tmp_path, max_steps=400)
    runs_root = tmp_path / "out" / "runs"
    run_dir: Path | None = None
    try:
        with app_in_pty(preset, 40, 120) as (app, reader):
            screen = app.screen
            assert wait_for(lambda: b"Launch" in screen, 120), screen[-2000:]  # the editor is up
            time.sleep(1.0)
            os.write(app.fd, b"\x1b[15~")  # F5: launch
            assert wait_for(lambda: any(runs_root.glob("*/state.json")), 120), screen[-2000:]
            run_dir = next(runs_root.glob("*"))
            assert wait_for(lambda: b"Detach" in screen, 60)  # the run screen shows the run
            assert wait_for(lambda: sum(e["event"] == "step" for e in events(run_dir)) >= 2, 120)
            trainer = folder.read_state(run_dir)["pid"]

            app.hang_up(reader)
            assert app.ended(), "the app outlived its terminal"

            steps = sum(e["event"] == "step" for e in events(run_dir))
            time.sleep(1.5)
            assert pid_alive(trainer) and run_status(run_dir) == "running"
            assert sum(e["event"] == "step" for e in events(run_dir)) > steps  # still training
    finally:
        if run_dir is not None:
            stop_run(run_dir, timeout=30)


def test_a_terminal_lost_without_sighup_ends_the_app_and_keeps_unsaved_edits(tmp_path: Path) -> None:
    """Under `make run`, make takes the hangup and tunedeck never sees SIGHUP (here: the app ignores it, as a
    child of such a parent would not get it). The app must still notice its terminal is gone, write the unsaved
    edit to a recovery file beside the preset, leave the preset as it was, and end."""
    preset = write_preset(tmp_path, max_steps=400)
    before = preset.read_bytes()
    with app_in_pty(preset, 24, 80, ignore_sighup=True) as (app, reader):
        assert wait_for(lambda: b"Launch" in app.screen, 120), app.screen[-2000:]
        time.sleep(1.0)
        os.write(app.fd, b"\r")  # Enter on the Model section: its first field (base_model) takes focus
        time.sleep(1.0)
        os.write(app.fd, b"edited-model")
        assert wait_for(lambda: b"edited-model" in app.screen, 30), app.screen[-3000:]
        time.sleep(1.0)  # the edit reaches the editor state
        app.hang_up(reader)
        assert app.ended(), "the app outlived its terminal"
    recovered = preset.with_name(preset.stem + ".unsaved.yaml")
    assert "base_model: edited-model" in recovered.read_text()
    assert preset.read_bytes() == before
