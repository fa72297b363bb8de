"""When the terminal goes away (SSH drops, the tmux pane is killed): keep unsaved edits, then leave.

The kernel's SIGHUP does not always reach the app: started under `make run`, make gets it and tunedeck lives on
with a hung-up terminal, where Textual's input thread spins on end-of-file at full speed (and starves a CPU run).
So the app also checks, once a second, that its terminal is still a terminal. Either way, an editor with unsaved
changes is written to a recovery file beside the preset first (the preset itself is never touched), and runs go
on: they live in their own session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHECK_INTERVAL_S = 1.0
UNSAVED_SUFFIX = ".unsaved.yaml"


def recovery_path(preset_path: Path | None) -> Path:
    """Where unsaved edits of ``preset_path`` go ("run.yaml" → "run.unsaved.yaml"; a new preset: ./untitled…)."""
    if preset_path is None:
        return Path.cwd() / f"untitled{UNSAVED_SUFFIX}"
    return preset_path.with_name(preset_path.stem + UNSAVED_SUFFIX)


def newer_recovery(preset_path: Path) -> Path | None:
    """A recovery file left by a session that lost its terminal, if it is newer than the preset."""
    recovered = recovery_path(preset_path)
    try:
        return recovered if recovered.stat().st_mtime >= preset_path.stat().st_mtime else None
    except OSError:
        return None


def save_unsaved(state: Any) -> Path | None:
    """Write an editor state's YAML to its recovery file (atomic); None when nothing was unsaved or it failed."""
    if state is None or not state.dirty:
        return None
    from engine.atomic import atomic_write_text

    target = recovery_path(state.path)
    try:
        atomic_write_text(target, state.preset.to_yaml())
    except OSError:
        return None  # nowhere to write: nothing more can be done without a terminal
    return target


def terminal_fd() -> int | None:
    """The terminal the app reads keys from, or None (headless tests, piped input)."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else None
    except (OSError, ValueError):
        return None
    return fd if fd is not None and os.isatty(fd) else None


class HangupGuard:
    """Calls ``on_hangup`` once, on SIGHUP or when the terminal stops being one (checked by ``check``)."""

    def __init__(self, on_hangup: Callable[[], None]) -> None:
        self.fd = terminal_fd()
        self.on_hangup = on_hangup
        self.fired = False

    @property
    def active(self) -> bool:
        return self.fd is not None

    def install_signal(self, loop: Any) -> None:
        """SIGHUP ends the app through the same path (the default action would lose unsaved edits)."""
        if self.active:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, self.fire)

    def check(self) -> None:
        if self.fd is not None and not os.isatty(self.fd):
            self.fire()

    def fire(self) -> None:
        if not self.fired:
            self.fired = True
            self.on_hangup()
