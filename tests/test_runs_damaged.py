"""Damaged run folders: a corrupt state.json is listed as unreadable (the other runs still listed), and garbled or
cut-short events.jsonl lines are skipped by every viewer. Real files, the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _runs_helpers import REPO
from _tui_run_helpers import finished_run, make_run_dir, write_event
from rich.console import Console

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.control import UNREADABLE, list_runs, run_info, stop_run
from engine.runs.index import register_run
from engine.runs.reporter import Reporter

DAMAGED = {
    "cut short": b'{"run_id": "x", "status": "runn',
    "a list": b"[1, 2]",
    "not UTF-8": b"\xff\xfe{",
    "empty": b"",
    "a bad number": b'{"run_id": "x", "status": "running", "started_at": "yesterday"}',
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    return tmp_path


def _damaged_runs(root: Path) -> list[Path]:
    dirs = []
    for n, raw in enumerate(DAMAGED.values()):
        run_dir = make_run_dir(root, f"run-damaged-{n}")
        (run_dir / folder.STATE_FILE).write_bytes(raw)
        dirs.append(run_dir)
    return dirs


def test_runs_lists_damaged_state_as_unreadable_and_keeps_the_others(home: Path) -> None:
    good = finished_run(home / "good")
    damaged = _damaged_runs(home / "bad")
    for run_dir in [damaged[0], good, *damaged[1:]]:
        register_run(run_dir)

    infos = {info.run_dir: info for info in list_runs()}
    assert infos[good.resolve()].status == "finished"
    for run_dir in damaged:
        info = infos[run_dir.resolve()]
        assert info.status == UNREADABLE
        assert str(run_dir / folder.STATE_FILE) in str(info.message)

    proc = subprocess.run([sys.executable, "-m", "engine.cli", "runs"], capture_output=True, text=True, cwd=REPO,
                          check=False, env={**os.environ, "COLUMNS": "250"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "20260101-100000-chat" in proc.stdout and "finished" in proc.stdout
    for run_dir in damaged:
        assert f"unreadable {run_dir / folder.STATE_FILE}:" in proc.stdout.replace("\n", " ")
    assert "not valid JSON" in proc.stdout and "not UTF-8" in proc.stdout and "'yesterday', not a number" in proc.stdout


def test_damaged_state_is_never_overwritten(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    (run_dir / folder.STATE_FILE).write_bytes(DAMAGED["cut short"])
    with pytest.raises(folder.UnreadableState, match="not valid JSON"):
        folder.update_state(run_dir, status="failed")
    with pytest.raises(TunedeckError, match=r"state\.json: is cut short"):
        stop_run(run_dir, timeout=1)
    assert (run_dir / folder.STATE_FILE).read_bytes() == DAMAGED["cut short"]


def test_attach_to_an_unreadable_run_ends_with_the_reason(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    (run_dir / folder.STATE_FILE).write_bytes(DAMAGED["a list"])
    console = Console(record=True, width=200, force_terminal=False)
    assert Reporter(run_dir, console, backlog_lines=5, poll=0.05).follow() == 1
    text = console.export_text()
    assert "unreadable" in text and "holds a JSON list" in text


def test_garbled_event_lines_are_skipped_by_every_viewer(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, status="finished")
    write_event(run_dir, "start", total_steps=4, num_epochs=1)
    with open(run_dir / folder.EVENTS_FILE, "ab") as fh:
        fh.write(b'{"event": "step", "step": 1, "lo\n')  # cut short by a crash, then appended after
        fh.write(b"\xff\xfe\x00garbage\n")  # not UTF-8
        fh.write(b"42\n")  # JSON, not an event
        fh.write(b'["step"]\n')
    write_event(run_dir, "step", step=2, total_steps=4, loss=1.5)
    write_event(run_dir, "finished", step=4, output_dir="out")

    kinds = [e["event"] for e in folder.read_events(run_dir)]
    assert kinds == ["start", "step", "finished"]
    info = run_info(run_dir)
    assert (info.status, info.step, info.loss) == ("finished", 4, 1.5)
    console = Console(record=True, width=200, force_terminal=False)
    assert Reporter(run_dir, console, backlog_lines=5, poll=0.05).follow() == 0
    assert "finished at step 4" in console.export_text()
