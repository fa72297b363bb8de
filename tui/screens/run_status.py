"""The run's status and its stop request, through engine.runs.control when it is there (falls back to the folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.runs import folder

ACTIVE = ("starting", "running")
FINAL = ("finished", "failed", "stopped")


def status_of(run_dir: Path, ended_as: str | None = None, started: bool = False) -> tuple[str, str | None]:
    """(status, why) with status one of folder.STATUSES; ``why`` explains a failure that left no error event.

    ``ended_as``: the final event the screen already read (it wins: state.json may lag behind it); ``started``:
    a "start" event was seen. While the run's processes live this only looks at state.json and /proc; the
    runs module's full check (which re-reads every event, and records a dead run as failed) runs once they are gone.
    """
    if ended_as:
        return ended_as, None
    state = folder.read_state(run_dir)
    if state.get("status") in FINAL:
        return str(state["status"]), state.get("message")
    try:
        from engine.runs.control import run_alive, run_info
    except ImportError:  # the runs module is not there: trust state.json
        return str(state.get("status") or "starting"), state.get("message")
    try:
        if state and run_alive(state):
            return ("running" if started or state.get("status") == "running" else "starting"), None
        info: Any = run_info(run_dir)
    except Exception:  # a half-written folder must not take the screen down
        return str(state.get("status") or "starting"), state.get("message")
    return str(info.status), getattr(info, "message", None)


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
