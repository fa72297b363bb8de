"""A full disk loses nothing: real training on a small tmpfs dies saving a checkpoint and says the disk is full and
where; events land whole or not at all; state.json says failed; runs/attach/stop keep working on the full disk.

The small disk is a real tmpfs, so mounting needs root (CI containers run as root); elsewhere these tests skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _runs_helpers import REPO, write_preset
from _tui_run_helpers import make_run_dir

from engine.runs import folder, space
from engine.runs.index import register_run


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs: room for the run folder and the prepared data, not for a checkpoint of the tiny model."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill ``disk`` until at most ``leave`` bytes are free."""
    with open(disk / f"filler-{len(list(disk.glob('filler-*')))}", "wb") as fh:
        try:
            while os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize > leave:
                fh.write(b"\0" * 4096)
                fh.flush()
        except OSError:
            pass


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "TUNEDECK_HOME": str(home), "COLUMNS": "250"}, timeout=600,
                          check=False)


@pytest.mark.slow
def test_training_that_fills_the_disk_fails_clearly_and_loses_nothing(tmp_path: Path, small_disk: Path) -> None:
    home = tmp_path / "home"
    out = small_disk / "out"
    preset = write_preset(tmp_path, output_dir=str(out), max_steps=4, save_steps=2)  # full fine-tune: ~5 MB
    trained = cli("train", str(preset), home=home)
    said = " ".join((trained.stdout + trained.stderr).split())
    assert trained.returncode != 0
    assert "The disk is full" in said and str(out) in said

    (run_dir,) = (out / "runs").iterdir()
    raw = (run_dir / folder.EVENTS_FILE).read_bytes()
    assert raw.endswith(b"\n")
    events = [json.loads(line) for line in raw.splitlines()]  # every line whole
    assert events[-1]["event"] == "error" and events[-1]["key"] == "output_dir"
    assert events[-1]["message"].startswith(f"The disk is full: writing under {out} failed")
    assert folder.load_state(run_dir)["status"] == "failed"
    assert not (run_dir / space.RESERVE_FILE).exists()  # the room set aside went back

    fill(small_disk)
    for args in (("runs",), ("attach", "last"), ("stop", "last")):
        done = cli(*args, home=home)
        assert "Traceback" not in done.stderr and "No space left" not in done.stderr, (args, done.stderr)
        assert "failed" in done.stdout, args


def test_viewers_work_on_a_full_disk_where_state_cannot_be_written(tmp_path: Path, small_disk: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("TUNEDECK_HOME", str(home))
    # A run whose processes are gone without a final event: `runs` writes its "failed" verdict back, if it can.
    run_dir = make_run_dir(small_disk, "20260101-100000-gone", status="running", pid=2**22 + 7, pgid=2**22 + 7)
    register_run(run_dir)
    fill(small_disk)
    for args in (("runs",), ("stop", "last"), ("attach", "last")):
        done = cli(*args, home=home)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert "failed" in done.stdout, args
    assert json.loads((run_dir / folder.STATE_FILE).read_text())["status"] == "running"  # as it was, not torn


def test_an_event_is_appended_whole_or_not_at_all(small_disk: Path) -> None:
    run_dir = make_run_dir(small_disk, "20260101-100000-full")
    folder.append_event(run_dir, "start", total_steps=4)
    before = (run_dir / folder.EVENTS_FILE).read_bytes()
    fill(small_disk, leave=8192)
    with pytest.raises(OSError) as raised:
        folder.append_event(run_dir, "error", message="x" * 200_000)  # far more than the room left
    assert space.disk_full(raised.value)
    assert (run_dir / folder.EVENTS_FILE).read_bytes() == before

    for filler in small_disk.glob("filler-*"):
        filler.unlink()
    space.reserve_space(run_dir)  # set aside before the disk filled up: the event is written in that room
    fill(small_disk)
    record = folder.append_event(run_dir, "error", message="y" * 200_000)
    lines = (run_dir / folder.EVENTS_FILE).read_bytes().splitlines()
    assert json.loads(lines[-1]) == record and len(lines) == 2
    assert not (run_dir / space.RESERVE_FILE).exists()
