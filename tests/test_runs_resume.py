"""Relaunching a preset never silently starts over or overwrites: it resumes its own stopped run (from the newest
complete checkpoint), refuses another preset's checkpoints, a live run's folder and a finished model, and --fresh
starts in a new folder. Real runs of the bundled tiny model through `tunedeck train` and the real launcher."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _resume_helpers import REAL_TRAINING, StoppedRun, run_folders, stop_a_real_run, tunedeck
from _runs_helpers import events, use_fake_trainer, write_preset

from engine.errors import TunedeckError
from engine.runs.control import stop_run
from engine.runs.launch import StartRequest, launch

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("resume")]


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> StoppedRun:
    return stop_a_real_run(tmp_path_factory.mktemp("stopped"))


def test_dry_run_counts_steps_and_says_it_would_resume(stopped: StoppedRun) -> None:
    before = run_folders(stopped.output_dir)
    out = tunedeck("train", str(stopped.preset), "--dry-run", "--set", f"max_steps={stopped.step + 2}")
    assert out.returncode == 0, out.stderr
    assert f"steps {stopped.step + 2} (max_steps); resuming at step {stopped.step}: 2 to go" in out.stdout
    assert f"resuming from checkpoint-{stopped.step} (step {stopped.step})" in out.stdout
    assert f"resume_from_checkpoint: {stopped.checkpoint}" in out.stdout  # in the resolved preset the run gets
    assert "overwrites nothing" in out.stdout
    assert run_folders(stopped.output_dir) == before


def test_dry_run_counts_the_steps_of_an_epoch_based_preset(tmp_path: Path) -> None:
    preset = write_preset(tmp_path, max_steps=None, num_epochs=2, micro_batch_size=4, val_set_size=0)
    out = tunedeck("train", str(preset), "--dry-run")
    assert out.returncode == 0, out.stderr
    rows = sum(1 for _ in (Path(__file__).parent.parent / "presets" / "tiny" / "facts.jsonl").open())
    per_epoch = -(-rows // 4)  # every fact fits in 64 tokens: one row each, nothing dropped
    assert f"steps {2 * per_epoch} ({rows} training rows, {per_epoch} steps per epoch)" in out.stdout
    assert "resume no: starts at step 0" in out.stdout


def test_a_half_written_checkpoint_is_never_chosen(stopped: StoppedRun) -> None:
    from engine.train.run import newest_checkpoint

    no_optimizer = stopped.output_dir / f"checkpoint-{stopped.step + 50}"
    cut_short = stopped.output_dir / f"checkpoint-{stopped.step + 60}"
    try:
        shutil.copytree(stopped.checkpoint, no_optimizer)
        (no_optimizer / "optimizer.pt").unlink()
        shutil.copytree(stopped.checkpoint, cut_short)  # the disk filled while the weights were written
        weights = cut_short / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
        out = tunedeck("train", str(stopped.preset), "--dry-run")
        assert out.returncode == 0, out.stderr
        assert f"resuming from checkpoint-{stopped.step} (step {stopped.step})" in out.stdout
        assert f"skipped checkpoint-{stopped.step + 60} (incomplete: model.safetensors cut short)" in out.stdout
        assert f"skipped checkpoint-{stopped.step + 50} (incomplete: no optimizer state)" in out.stdout
        assert newest_checkpoint(stopped.output_dir) == str(stopped.checkpoint)  # the trainer's own auto-resume
    finally:
        shutil.rmtree(no_optimizer, ignore_errors=True)
        shutil.rmtree(cut_short, ignore_errors=True)


def test_another_presets_checkpoints_are_refused(stopped: StoppedRun) -> None:
    other = write_preset(stopped.preset.parent, name="other.yaml", **REAL_TRAINING)  # same output_dir
    before = run_folders(stopped.output_dir)
    out = tunedeck("train", str(other))
    assert out.returncode == 2, out.stdout + out.stderr
    message = " ".join(out.stderr.split())
    assert f"checkpoint-{stopped.step}, made by run {stopped.run_dir.name} of {stopped.preset}" in message
    assert "--fresh" in message and "Traceback" not in out.stderr
    assert run_folders(stopped.output_dir) == before and stopped.checkpoint.is_dir()


def test_a_folder_a_live_run_writes_to_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_trainer(monkeypatch, step_seconds=0.5)
    preset = write_preset(tmp_path, max_steps=1000)
    first = launch(preset)
    second = None
    try:
        with pytest.raises(TunedeckError, match=f"run {first.run_id} is still (starting|running) there"):
            launch(preset)
        second = launch(preset, start=StartRequest(fresh=True))
        assert second.run_dir.parent.parent == tmp_path / "out-2"
    finally:
        for handle in (first, second):
            if handle is not None:
                stop_run(handle.run_dir, timeout=60)


def test_relaunch_resumes_then_keeps_the_finished_model(stopped: StoppedRun) -> None:
    """Last in this file: it trains the stopped run to its end, which leaves a final model in output_dir."""
    step = stopped.step
    out = tunedeck("train", str(stopped.preset), "--set", f"max_steps={step + 2}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert f"resuming from checkpoint-{step}" in out.stdout
    resumed = run_folders(stopped.output_dir)[-1]
    start = next(e for e in events(resumed) if e["event"] == "start")
    assert start["resumed_from_step"] == step
    assert [e["step"] for e in events(resumed) if e["event"] == "step"] == [step + 1, step + 2]
    listed = json.loads(tunedeck("runs", "--json").stdout)
    row = next(r for r in listed if r["run_dir"] == str(resumed))
    assert row["resumed_from_step"] == step and row["status"] == "finished"
    assert f"{step + 2}/{step + 2} (from {step})" in tunedeck("runs").stdout

    weights = stopped.output_dir / "model.safetensors"
    model = weights.read_bytes()
    folders = run_folders(stopped.output_dir)
    again = tunedeck("train", str(stopped.preset))
    assert again.returncode == 2
    message = " ".join(again.stderr.split())
    assert f"the final model of run {resumed.name}" in message and "--fresh" in message and "--overwrite" in message
    assert run_folders(stopped.output_dir) == folders and weights.read_bytes() == model

    fresh = tunedeck("train", str(stopped.preset), "--fresh", "--set", "max_steps=1")
    assert fresh.returncode == 0, fresh.stdout[-3000:] + fresh.stderr
    moved = stopped.output_dir.with_name("out-2")
    assert (moved / "model.safetensors").is_file() and len(run_folders(moved)) == 1
    assert weights.read_bytes() == model and run_folders(stopped.output_dir) == folders
