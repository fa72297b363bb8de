"""A run's truthful status: the run folder checked against the real processes. The one status function.

A run is "running" only while some process of the run is alive. A run that claims to run but whose processes are
gone died without its final event: it is "failed". Asking never writes: :func:`record_outcome` is the one call
that writes such a verdict back to state.json. Import-light (no torch).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.runs import folder
from engine.runs.folder import FINAL_EVENTS, FINAL_STATUSES, UNREADABLE
from engine.runs.processes import run_alive
from engine.runs.rendezvous import run_failure_message
from engine.runs.view import RunView, fold, number

STARTING_GRACE = 30.0  # seconds a fresh run may have no pid yet before it counts as failed
HEAD_BYTES = 16 * 1024
TAIL_BYTES = 64 * 1024
DIED = "the training processes ended without a final event (killed, or crashed hard); see train.log"


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
    message: str | None = None  # why it failed or stopped; for an UNREADABLE run, its folder and what is wrong
    resumed_from_step: int | None = None  # the checkpoint's step when the run resumed one
    state: dict[str, Any] = field(default_factory=dict, repr=False)
    view: RunView = field(default_factory=RunView, repr=False)  # the fold of the events read (head and tail)

    @property
    def problem(self) -> str | None:
        """What is wrong with an UNREADABLE run's folder; None for any other."""
        return self.message if self.status == UNREADABLE else None


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


def final_event(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in reversed(events):
        if event.get("event") in FINAL_EVENTS:
            return event
    return None


def run_status(run_dir: str | os.PathLike[str]) -> str:
    """starting | running | finished | failed | stopped | unreadable — checked against the real processes."""
    return run_info(run_dir).status


def run_info(run_dir: str | os.PathLike[str]) -> RunInfo:
    """Status, step, loss and the rest of one run, from state.json, both ends of events.jsonl and /proc.
    Reads only."""
    run_dir = Path(run_dir)
    try:
        state = folder.load_state(run_dir)
    except folder.UnreadableState as err:
        return RunInfo(run_id=run_dir.name, run_dir=run_dir, status=UNREADABLE, message=str(err))
    status, message, events = _status_from(run_dir, state, edge_events(run_dir))
    view = fold(events)
    return RunInfo(
        run_id=state.get("run_id") or run_dir.name, run_dir=run_dir, status=status, step=view.step or None,
        total_steps=view.total_steps, loss=view.loss, started_at=state.get("started_at"),
        ended_at=state.get("ended_at"), preset=state.get("preset"), pid=state.get("pid"), message=message,
        resumed_from_step=view.resumed_from_step or state.get("resumed_from_step"), state=state, view=view,
    )


Events = list[dict[str, Any]]


def _status_from(run_dir: Path, state: dict[str, Any], events: Events) -> tuple[str, str | None, Events]:
    """(status, why, the events it is based on)."""
    final = final_event(events)
    if final is None and state.get("status") in FINAL_STATUSES:
        return state["status"], state.get("message"), events
    if final is None:
        if run_alive(state):
            started = any(e.get("event") == "start" for e in events) or state.get("status") == "running"
            return ("running" if started else "starting"), None, events
        if not state.get("pid") and time.time() - float(state.get("started_at") or 0) < STARTING_GRACE:
            return "starting", None, events  # the launcher is between writing state.json and recording the pid
        # Gone without a final event. Read once more: it may have written one just before exiting.
        events = edge_events(run_dir)
        final = final_event(events)
        if final is None:
            if not state:
                return "failed", "no state.json: not a run folder or it was never started", events
            return "failed", run_failure_message(run_dir) or DIED, events
    return FINAL_EVENTS[final["event"]], final.get("message"), events


def wall_seconds(state: dict[str, Any], view: RunView) -> float | None:
    """How long a run took, launch to end: state.json's ``started_at`` and ``ended_at``. The events begin and end
    inside training (after the processes start and load the model and data), so their span is shorter, often by
    most of a short run; they stand in only for a stamp that is missing (an older folder, a run still going)."""
    start = number(state.get("started_at")) or view.started_time
    end = number(state.get("ended_at")) or view.last_time
    return None if start is None or end is None else max(0.0, end - start)


def record_outcome(run_dir: str | os.PathLike[str]) -> RunInfo:
    """Write a run's final status into state.json when state.json does not say it yet (a run that died without
    its final event, or whose trainer could not update state.json). The one place a viewer writes a verdict.

    Best effort: on a full disk, a read-only folder or a damaged state.json the verdict is not written, and it
    stands anyway, computed again on each look."""
    info = run_info(run_dir)
    if info.status not in FINAL_STATUSES or not info.state or info.state.get("status") == info.status:
        return info
    fields: dict[str, Any] = {"status": info.status,
                              "ended_at": info.state.get("ended_at") or _ended_at(info) or time.time()}
    if info.message:
        fields["message"] = info.message
    record(run_dir, **fields)
    return info


def _ended_at(info: RunInfo) -> float | None:
    final = info.view.error or info.view.result
    return final.get("time") if final else None


def record(run_dir: str | os.PathLike[str], **fields: Any) -> None:
    """Merge ``fields`` into state.json, best effort (see :func:`record_outcome`)."""
    with contextlib.suppress(OSError, folder.UnreadableState):
        folder.update_state(run_dir, **fields)
