"""The one atomic writer (engine.atomic): through symlinks, no temp left when a write fails, stale temps of a
killed writer cleaned by the next write; presets, state.json and run files all go through it."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _preset_helpers import COMMENTED, write

from engine.atomic import atomic_write_text
from engine.errors import TunedeckError
from engine.preset import load_preset
from engine.runs import folder

REPO = Path(__file__).resolve().parent.parent


def temps(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir() if p.name.endswith(".tmp"))


# ------------------------------------------------------------------ symlinks

@pytest.mark.parametrize("relative", [False, True])
def test_saving_through_a_symlink_updates_the_real_file_and_keeps_the_link(tmp_path: Path, relative: bool) -> None:
    (tmp_path / "real").mkdir()
    real = write(tmp_path / "real")
    links = tmp_path / "links"
    links.mkdir()
    link = links / "mine.yaml"
    link.symlink_to(os.path.relpath(real, links) if relative else real)
    preset = load_preset(link)
    preset.set("micro_batch_size", 8)
    preset.save()
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "micro_batch_size: 8" in real.read_text()
    assert link.read_text() == real.read_text()
    assert temps(links) == [] and temps(real.parent) == []


# ------------------------------------------------------------------ failed writes leave no temp

def _full_disk(*_: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_preset_save_leaves_the_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("micro_batch_size", 8)
    monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(TunedeckError, match="could not save the preset"):
        preset.save()
    assert path.read_text() == COMMENTED and temps(tmp_path) == []


def test_a_failed_state_write_leaves_the_state_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.update_state(tmp_path, status="running")
    before = (tmp_path / folder.STATE_FILE).read_text()
    monkeypatch.setattr(os, "fsync", _full_disk)
    with pytest.raises(OSError):
        folder.update_state(tmp_path, status="failed")
    assert (tmp_path / folder.STATE_FILE).read_text() == before
    assert temps(tmp_path) == []  # the old writer left a 0-byte .state.json.PID.tmp


_FILE_SIZE_LIMIT = """
import resource, signal, sys
from engine.runs import folder
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
try:
    folder.update_state(sys.argv[1], status="failed", message="x" * 4096)
except OSError as err:
    print("failed", err.errno)
"""


def test_state_write_past_a_file_size_limit_leaves_no_temp(tmp_path: Path) -> None:
    """A real failing write: the kernel refuses bytes past RLIMIT_FSIZE, as a full disk refuses them."""
    done = subprocess.run([sys.executable, "-c", _FILE_SIZE_LIMIT, str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("failed"), done.stdout
    assert temps(tmp_path) == [] and not (tmp_path / folder.STATE_FILE).exists()


# ------------------------------------------------------------------ a writer killed mid-write

_KILLED_MID_SAVE = """
import os, signal, sys
from engine.preset import load_preset
preset = load_preset(sys.argv[1])
preset.set("micro_batch_size", 8)
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # dies with the temp written, not yet renamed
preset.save()
"""


def test_the_next_save_removes_the_temp_of_a_save_that_was_killed(tmp_path: Path) -> None:
    path = write(tmp_path)
    done = subprocess.run([sys.executable, "-c", _KILLED_MID_SAVE, str(path)], cwd=REPO, timeout=120)
    assert done.returncode == -9
    assert len(temps(tmp_path)) == 1 and path.read_text() == COMMENTED  # what the killed save left
    preset = load_preset(path)
    preset.set("micro_batch_size", 4)
    preset.save()
    assert temps(tmp_path) == [] and "micro_batch_size: 4" in path.read_text()


def test_a_live_writers_temp_is_left_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tmp_path / f".preset.yaml.{sleeper.pid}.abc123_x.tmp"
        theirs.write_text("half")
        other_file = tmp_path / ".preset.yaml.5.123.abc.tmp"  # a temp of "preset.yaml.5", not of preset.yaml
        other_file.write_text("half")
        atomic_write_text(tmp_path / "preset.yaml", "base_model: m\n")
        assert theirs.exists() and other_file.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------------ one writer

def test_presets_state_and_run_files_use_the_one_atomic_writer() -> None:
    """No second temp-and-rename writer in the code: each writes through engine.atomic."""
    writers = []
    for source in (REPO / "engine").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "os.replace(" in text and source.name != "atomic.py":
            writers.append(str(source.relative_to(REPO)))
    assert writers == [], writers
