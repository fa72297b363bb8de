"""Knowing and steering runs: truthful status, listing, stopping, and finding a run by id, path or "last".

Status comes from the run folder, checked against the real processes: a run is "running" only while some process
of the run is alive. A run that claims to run but whose processes are gone died without its final event;
it is "failed", and that verdict is written back to state.json. Import-light (no torch).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.index import indexed_run_dirs, scan_run_dirs
from engine.runs.processes import RUN_ENV, group_pids, remote, run_alive, run_pids, signal_run, wait_gone
from engine.runs.rendezvous import run_failure_message

__all__ = ["FINAL_STATUSES", "RUN_ENV", "UNREADABLE", "RunInfo", "edge_events", "group_pids", "list_runs", "resolve_run",
           "run_alive", "run_info", "run_pids", "run_status", "stop_run"]

FINAL_EVENTS = {"finished": "finished", "stopped": "stopped", "error": "failed"}
FINAL_STATUSES = ("finished", "failed", "stopped")
UNREADABLE = "unreadable"  # state.json is damaged: listed with its folder and what is wrong, never guessed at
STARTING_GRACE = 30.0  # seconds a fresh run may have no pid yet before it counts as failed


# --- status ---------------------------------------------------------------------------------------------------

@dataclass
class RunInfo:
    run_id: str
    run_dir: Path
    status: str
    step: int | None = None
    total_steps: int | None = None
    loss: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    preset: str | None = None
    pid: int | None = None
    message: str | None = None
    resumed_from_step: int | None = None  # the checkpoint's step when the run resumed one
    state: dict[str, Any] = field(default_factory=dict, repr=False)


HEAD_BYTES = 16 * 1024
TAIL_BYTES = 64 * 1024


def edge_events(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """What status needs, in order: the start event, then everything from the newest step with a loss on.

    A long run's events.jsonl grows to megabytes and status is polled every second or so; the start event sits
    at the head and the newest step and the final event at the tail, so only those two ends are read, and only
    the lines needed are parsed.
    """
    path = Path(run_dir) / folder.EVENTS_FILE
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= HEAD_BYTES + TAIL_BYTES:
                head = tail = fh.read(size)
            else:
                head = fh.read(HEAD_BYTES)
                fh.seek(size - TAIL_BYTES)
                tail = fh.read(TAIL_BYTES)
                tail = tail[tail.find(b"\n") + 1:]  # the first line is cut
    except FileNotFoundError:
        return []
    newest: list[dict[str, Any]] = []
    for raw in reversed(tail[: tail.rfind(b"\n") + 1].splitlines()):  # a half-written last line waits
        event = folder.parse_event(raw)
        if event is not None:
            newest.append(event)
            if event.get("event") == "step" and event.get("loss") is not None:
                break
    newest.reverse()
    if any(e.get("event") == "start" for e in newest):
        return newest
    for raw in head[: head.rfind(b"\n") + 1].splitlines():
        event = folder.parse_event(raw)
        if event is not None and event.get("event") == "start":
            return [event, *newest]
    return newest


def _final_event(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in reversed(events):
        if event.get("event") in FINAL_EVENTS:
            return event
    return None


def run_status(run_dir: str | os.PathLike[str]) -> str:
    """starting | running | finished | failed | stopped — checked against the real processes."""
    return run_info(run_dir).status


def run_info(run_dir: str | os.PathLike[str]) -> RunInfo:
    run_dir = Path(run_dir)
    try:
        state = folder.load_state(run_dir)
    except folder.UnreadableState as err:
        return RunInfo(run_id=run_dir.name, run_dir=run_dir, status=UNREADABLE, message=str(err))
    events = edge_events(run_dir)
    status, message = _status_from(run_dir, state, events)
    info = RunInfo(
        run_id=state.get("run_id") or run_dir.name, run_dir=run_dir, status=status,
        started_at=state.get("started_at"), ended_at=state.get("ended_at"), preset=state.get("preset"),
        pid=state.get("pid"), message=message, state=state, resumed_from_step=state.get("resumed_from_step"),
    )
    for event in events:
        kind = event.get("event")
        if kind == "start":
            info.total_steps = event.get("total_steps", info.total_steps)
            info.resumed_from_step = event.get("resumed_from_step") or info.resumed_from_step
        elif kind == "step":
            info.step = event.get("step", info.step)
            info.total_steps = event.get("total_steps") or info.total_steps
            if event.get("loss") is not None:
                info.loss = event["loss"]
        elif kind in FINAL_EVENTS and event.get("step") is not None:
            info.step = event["step"]
    return info


def _status_from(run_dir: Path, state: dict[str, Any], events: list[dict[str, Any]]) -> tuple[str, str | None]:
    final = _final_event(events)
    if final is None and state.get("status") in FINAL_STATUSES:
        return state["status"], state.get("message")
    if final is None:
        if run_alive(state):
            started = any(e.get("event") == "start" for e in events) or state.get("status") == "running"
            return ("running" if started else "starting"), None
        if not state.get("pid") and time.time() - float(state.get("started_at") or 0) < STARTING_GRACE:
            return "starting", None  # the launcher is between writing state.json and recording the pid
        # Gone without a final event. Read once more: it may have written one just before exiting.
        final = _final_event(edge_events(run_dir))
        if final is None:
            if not state:
                return "failed", "no state.json: not a run folder or it was never started"
            message = run_failure_message(run_dir) or (
                "the training processes ended without a final event (killed, or crashed hard); see train.log")
            _record(run_dir, status="failed", ended_at=state.get("ended_at") or time.time(), message=message)
            return "failed", message
    status = FINAL_EVENTS[final["event"]]
    message = final.get("message")
    if state.get("status") != status and state:
        _record(run_dir, status=status, ended_at=state.get("ended_at") or final.get("time"),
                **({"message": message} if message else {}))
    return status, message


def _record(run_dir: Path, **fields: Any) -> None:
    """Write a verdict back to state.json, best effort: on a full disk (or a read-only folder) the verdict still
    stands, computed again on each look, and listing runs must not fail over it."""
    try:
        folder.update_state(run_dir, **fields)
    except (OSError, folder.UnreadableState):
        pass


# --- listing and finding --------------------------------------------------------------------------------------

def list_runs(scan: str | os.PathLike[str] | None = None) -> list[RunInfo]:
    """Every indexed run (plus those found under ``scan``), oldest first, each with its truthful status."""
    dirs = {d.resolve(): None for d in indexed_run_dirs()}
    if scan is not None:
        dirs.update({d.resolve(): None for d in scan_run_dirs(scan)})
    infos = [run_info(d) for d in dirs]
    return sorted(infos, key=lambda i: (i.started_at or 0, i.run_id))


def resolve_run(id_or_path: str) -> Path:
    """A run folder from "last", a path to a run folder, or a run id (a unique prefix is enough)."""
    if id_or_path == "last":
        runs = list_runs()
        if not runs:
            raise TunedeckError("No runs yet: start one with `tunedeck train PRESET`.")
        return runs[-1].run_dir
    path = Path(id_or_path).expanduser()
    if (path / folder.STATE_FILE).is_file():
        return path.absolute()
    runs = list_runs()
    exact = [r for r in runs if r.run_id == id_or_path]
    matches = exact or [r for r in runs if r.run_id.startswith(id_or_path)]
    if len(matches) == 1:
        return matches[0].run_dir
    if not matches:
        raise TunedeckError(
            f"No run matches {id_or_path!r}: give a run id (or its start), a run folder, or 'last'. "
            "`tunedeck runs` lists them."
        )
    names = ", ".join(r.run_id for r in matches[:8])
    raise TunedeckError(f"{id_or_path!r} matches several runs ({names}); type more of the id.")


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
    _record(run_dir, stop_requested_at=time.time())
    if not state.get("pid"):  # launcher has not recorded the pid yet: give it a moment
        time.sleep(1.0)
        state = folder.read_state(run_dir)
    if remote(state):  # another machine's processes: the stop file is all we can do from here
        while time.monotonic() < start + timeout and _final_event(edge_events(run_dir)) is None:
            time.sleep(0.5)
        return run_status(run_dir)
    forced = None
    if not wait_gone(state, start + grace):
        forced = "SIGTERM"
        signal_run(state, signal.SIGTERM)
        if not wait_gone(state, start + timeout):
            forced = "SIGKILL"
            signal_run(state, signal.SIGKILL)
            wait_gone(state, time.monotonic() + 30)
    final = _final_event(edge_events(run_dir))
    if final is not None:
        return run_status(run_dir)
    # No final event: the trainer never got to write one. It ended because we asked, so it is stopped.
    _record(
        run_dir, status="stopped", ended_at=time.time(), stopped_by=forced or "stop file",
        message=f"stopped by {forced or 'request'} before the trainer wrote a final event; no checkpoint saved",
    )
    return "stopped"
