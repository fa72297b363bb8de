"""The run's status and its stop request, through engine.runs.control when it is there (falls back to the folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.runs import folder

ACTIVE = ("starting", "running")


def status_of(run_dir: Path, ended_as: str | None = None) -> str:
    """One of folder.STATUSES. A terminal event in events.jsonl wins (state.json may lag behind it)."""
    if ended_as:
        return ended_as
    try:
        from engine.runs.control import run_status
    except ImportError:  # the runs module is not there yet: trust state.json
        run_status = None
    if run_status is not None:
        try:
            result: Any = run_status(run_dir)
        except Exception:  # a half-written folder must not take the screen down
            result = None
        status = result if isinstance(result, str) else getattr(result, "status", None)
        if status:
            return str(status)
    return str(folder.read_state(run_dir).get("status") or "starting")


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
