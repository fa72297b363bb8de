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


def test_closing_the_terminal_leaves_the_run_going(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    monkeypatch.setenv("TERM", "xterm-256color")
    preset = write_preset(tmp_path, max_steps=400)
    runs_root = tmp_path / "out" / "runs"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty, like a login shell
        os.chdir(REPO)
        os.execv(sys.executable, [sys.executable, "-m", "tui", str(preset)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen, done = bytearray(), threading.Event()
    reader = threading.Thread(target=_drain, args=(fd, screen, done), daemon=True)
    reader.start()
    run_dir: Path | None = None
    try:
        assert wait_for(lambda: b"Launch" in screen, 120), screen[-2000:]  # the editor is up
        time.sleep(1.0)
        os.write(fd, b"\x1b[15~")  # F5: launch
        assert wait_for(lambda: any(runs_root.glob("*/state.json")), 120), screen[-2000:]
        run_dir = next(runs_root.glob("*"))
        assert wait_for(lambda: b"Detach" in screen, 60)  # the run screen shows the run
        assert wait_for(lambda: sum(e["event"] == "step" for e in events(run_dir)) >= 2, 120)
        trainer = folder.read_state(run_dir)["pid"]

        done.set()
        reader.join(5)
        os.close(fd)  # the terminal goes away: the kernel sends SIGHUP to the app's session
        assert wait_for(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 30), "the app outlived its terminal"

        steps = sum(e["event"] == "step" for e in events(run_dir))
        time.sleep(1.5)
        assert pid_alive(trainer) and run_status(run_dir) == "running"
        assert sum(e["event"] == "step" for e in events(run_dir)) > steps  # still training
    finally:
        done.set()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        if run_dir is not None:
            stop_run(run_dir, timeout=30)
