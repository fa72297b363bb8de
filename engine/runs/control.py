"""Steering runs: stopping one gracefully, then firmly. Import-light (no torch).

Status, listing and finding a run live in engine.runs.status and engine.runs.listing; their names are here too,
for the callers that knew them here.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.folder import FINAL_STATUSES, UNREADABLE
from engine.runs.listing import RunLister, list_runs, resolve_run
from engine.runs.processes import (
    RUN_ENV,
    group_pids,
    remote,
    run_alive,
    run_pids,
    signal_run,
    wait_gone,
)
from engine.runs.status import (
    HEAD_BYTES,
    TAIL_BYTES,
    RunInfo,
    edge_events,
    final_event,
    record,
    record_outcome,
    run_info,
    run_status,
)

__all__ = ["FINAL_STATUSES", "HEAD_BYTES", "RUN_ENV", "TAIL_BYTES", "UNREADABLE", "RunInfo", "RunLister",
           "edge_events", "group_pids", "list_runs", "record_outcome", "resolve_run", "run_alive", "run_info",
           "run_pids", "run_status", "stop_run"]


# --- stopping -------------------------------------------------------------------------------------------------

def stop_run(run_dir: str | os.PathLike[str], timeout: float = 120.0, grace: float | None = None) -> str:
    """Stop gracefully, then firmly; return the final status once every process of the run has ended.

    1. write RUN/stop: the trainer saves a checkpoint and exits with a "stopped" event;
    2. after ``grace`` seconds (default: half of ``timeout``) SIGTERM the run's processes (the trainer treats it
       the same way);
    3. after ``timeout`` seconds SIGKILL them: no checkpoint, recorded as stopped by force.
    """
    run_dir = Path(run_dir)
    state = folder.load_state(run_dir)  # a damaged state.json says so (UnreadableState) instead of guessing
    if not state:
        raise TunedeckError(f"{run_dir} is not a run folder (no {folder.STATE_FILE}).")
    status = run_status(run_dir)
    if status in FINAL_STATUSES:
        return status
    start = time.monotonic()
    grace = timeout / 2 if grace is None else min(grace, timeout)
    try:
        (run_dir / folder.STOP_FILE).touch()
    except OSError:  # a full disk or a read-only folder: no stop file, so SIGTERM (the trainer saves the same way)
        grace = 0.0
    record(run_dir, stop_requested_at=time.time())
    if not state.get("pid"):  # launcher has not recorded the pid yet: give it a moment
        time.sleep(1.0)
        state = folder.read_state(run_dir)
    if remote(state):  # another machine's processes: the stop file is all we can do from here
        while time.monotonic() < start + timeout and final_event(edge_events(run_dir)) is None:
            time.sleep(0.5)
        return record_outcome(run_dir).status
    forced = None
    if not wait_gone(state, start + grace):
        forced = "SIGTERM"
        signal_run(state, signal.SIGTERM)
        if not wait_gone(state, start + timeout):
            forced = "SIGKILL"
            signal_run(state, signal.SIGKILL)
            wait_gone(state, time.monotonic() + 30)
    final = final_event(edge_events(run_dir))
    if final is not None:
        return record_outcome(run_dir).status
    # No final event: the trainer never got to write one. It ended because we asked, so it is stopped.
    record(
        run_dir, status="stopped", ended_at=time.time(), stopped_by=forced or "stop file",
        message=f"stopped by {forced or 'request'} before the trainer wrote a final event; no checkpoint saved",
    )
    return "stopped"
