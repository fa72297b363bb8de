"""Listing runs and finding one by id, path or "last": the one lister behind `tunedeck runs` and the TUI's list.

Each run is read through engine.runs.status (state.json, both ends of events.jsonl, /proc). A lister kept between
calls (the TUI refreshes every few seconds) reuses a finished run's row until its files change.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.folder import FINAL_STATUSES, UNREADABLE
from engine.runs.index import indexed_run_dirs, scan_run_dirs
from engine.runs.status import RunInfo, run_info

Stamp = tuple[int, ...]


def _stamp(run_dir: Path) -> Stamp:
    """Sizes and times of the files a run's row is read from: a row stays right while they stay the same."""
    stamps: list[int] = []
    for name in (folder.EVENTS_FILE, folder.STATE_FILE):
        try:
            st = os.stat(run_dir / name)
            stamps += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            stamps += [-1, -1]
    return tuple(stamps)


class RunLister:
    """Lists runs (the index, plus those found under ``scan``), re-reading only runs that may have changed."""

    def __init__(self, scan: str | os.PathLike[str] | None = None) -> None:
        self.scan = scan
        self._cache: dict[Path, tuple[Stamp, RunInfo]] = {}

    def run_dirs(self) -> list[Path]:
        dirs = {d.resolve(): None for d in indexed_run_dirs()}
        if self.scan is not None:
            dirs.update({d.resolve(): None for d in scan_run_dirs(self.scan)})
        return list(dirs)

    def list(self) -> list[RunInfo]:
        """Every run, oldest first, each with its truthful status."""
        rows = []
        for run_dir in self.run_dirs():
            stamp = _stamp(run_dir)  # before reading: a change while reading is seen on the next call
            cached = self._cache.get(run_dir)
            if cached and cached[0] == stamp and cached[1].status in (*FINAL_STATUSES, UNREADABLE):
                rows.append(cached[1])
                continue
            info = run_info(run_dir)
            self._cache[run_dir] = (stamp, info)
            rows.append(info)
        return sorted(rows, key=lambda i: (i.started_at or 0, i.run_id))


def list_runs(scan: str | os.PathLike[str] | None = None) -> list[RunInfo]:
    """Every indexed run (plus those found under ``scan``), oldest first, each with its truthful status."""
    return RunLister(scan).list()


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
