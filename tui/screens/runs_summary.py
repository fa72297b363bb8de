"""One line per run for the runs list, cheap enough to redo every few seconds for every run.

engine.runs.control.list_runs re-reads each run's whole events.jsonl (tens of MB for a long run) on every call;
the list instead reads the first and last few KB of it, and reuses a finished run's row until its files change.
Status is the same truthful answer the run screen uses (run_status.status_of).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.runs import folder
from engine.runs.control import UNREADABLE
from tui.screens.run_status import FINAL, status_of

TAIL_BYTES = 64 * 1024
FINAL_EVENTS = {"finished": "finished", "stopped": "stopped", "error": "failed"}


@dataclass
class RunSummary:
    run_id: str
    run_dir: Path
    status: str
    step: int | None = None
    total_steps: int | None = None
    loss: float | None = None
    started_at: float | None = None
    preset: str | None = None
    problem: str | None = None  # why the run is UNREADABLE: its folder and what is wrong
    resumed_from_step: int | None = None  # the checkpoint's step when the run resumed one


def _json_lines(raw: bytes) -> list[dict[str, Any]]:
    return [event for line in raw.splitlines() if (event := folder.parse_event(line)) is not None]


def edge_events(run_dir: Path, tail_bytes: int = TAIL_BYTES) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The first event (normally "start") and the events in the last ``tail_bytes`` of events.jsonl."""
    try:
        with open(run_dir / folder.EVENTS_FILE, "rb") as fh:
            first = _json_lines(fh.readline())
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - tail_bytes))
            tail = fh.read()
    except FileNotFoundError:
        return None, []
    if size > tail_bytes:
        tail = tail[tail.find(b"\n") + 1 :]  # the first line there is cut
    if not tail.endswith(b"\n"):
        tail = tail[: tail.rfind(b"\n") + 1]  # nor half a line being written
    return (first[0] if first else None), _json_lines(tail)


def summarize(run_dir: Path) -> RunSummary:
    try:
        state = folder.load_state(run_dir)
    except folder.UnreadableState as err:
        return RunSummary(run_id=run_dir.name, run_dir=run_dir, status=UNREADABLE, problem=str(err))
    first, recent = edge_events(run_dir)
    summary = RunSummary(run_id=str(state.get("run_id") or run_dir.name), run_dir=run_dir, status="starting",
                         started_at=state.get("started_at"), preset=state.get("preset"))
    if first and first.get("event") == "start":
        summary.total_steps = first.get("total_steps")
        summary.resumed_from_step = first.get("resumed_from_step") or None
    summary.resumed_from_step = summary.resumed_from_step or state.get("resumed_from_step")  # the launcher's word
    ended_as = None
    for event in recent:
        kind = event.get("event")
        if kind == "step":
            summary.step = event.get("step", summary.step)
            summary.total_steps = event.get("total_steps") or summary.total_steps
            if event.get("loss") is not None:
                summary.loss = event["loss"]
        elif kind in FINAL_EVENTS:
            ended_as = FINAL_EVENTS[kind]
            if event.get("step") is not None:
                summary.step = event["step"]
    summary.status = status_of(run_dir, ended_as, first is not None)[0]
    return summary


def _stamp(run_dir: Path) -> tuple[int, ...]:
    stamps: list[int] = []
    for name in (folder.EVENTS_FILE, folder.STATE_FILE):
        try:
            st = os.stat(run_dir / name)
            stamps += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            stamps += [-1, -1]
    return tuple(stamps)


class RunLister:
    """Lists runs (the index, plus those under ``scan``) newest first, re-reading only runs that may have changed."""

    def __init__(self, scan: str | os.PathLike[str] | None = None) -> None:
        self.scan = scan
        self._cache: dict[Path, tuple[tuple[int, ...], RunSummary]] = {}

    def run_dirs(self) -> list[Path]:
        from engine.runs.index import indexed_run_dirs, scan_run_dirs

        dirs = {d.resolve(): None for d in indexed_run_dirs()}
        if self.scan is not None:
            dirs.update({d.resolve(): None for d in scan_run_dirs(self.scan)})
        return list(dirs)

    def list(self) -> list[RunSummary]:
        rows = []
        for run_dir in self.run_dirs():
            stamp = _stamp(run_dir)
            cached = self._cache.get(run_dir)
            if cached and cached[0] == stamp and cached[1].status in (*FINAL, UNREADABLE):
                rows.append(cached[1])
                continue
            summary = summarize(run_dir)
            self._cache[run_dir] = (_stamp(run_dir), summary)  # status_of may have just written state.json
            rows.append(summary)
        return sorted(rows, key=lambda r: (r.started_at or 0, r.run_id), reverse=True)
