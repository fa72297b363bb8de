"""The run's status and its stop request, through engine.runs.control when it is there (falls back to the folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.runs import folder

ACTIVE = ("starting", "running")


def status_of(run_dir: Path, ended_as: str | None = None) -> tuple[str, str | None]:
    """(status, why) with status one of folder.STATUSES; ``why`` explains a failure that left no error event.

    A final event already read from events.jsonl wins (state.json may lag behind it).
    """
    if ended_as:
        return ended_as, None
    try:
        from engine.runs.control import run_info
    except ImportError:  # the runs module is not there: trust state.json
        run_info = None
    if run_info is not None:
        try:
            info: Any = run_info(run_dir)
        except Exception:  # a half-written folder must not take the screen down
            info = None
        if info is not None and getattr(info, "status", None):
            return str(info.status), getattr(info, "message", None)
    state = folder.read_state(run_dir)
    return str(state.get("status") or "starting"), state.get("message")


def request_stop(run_dir: Path) -> None:
    """Graceful stop (the trainer saves a checkpoint, then writes a "stopped" event). Blocking: call it in a thread."""
    try:
        from engine.runs.control import stop_run
    except ImportError:
        stop_run = None
    if stop_run is not None:
        stop_run(run_dir)
    else:
        (run_dir / folder.STOP_FILE).touch()
