"""Resuming and stopping a real training process: checkpoints, global_step, the stop file and SIGTERM."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from _train_helpers import base_preset, events, log_text, make_run_dir, of_kind, run_train, state

pytestmark = pytest.mark.slow


def test_resume_continues_from_the_saved_step(tiny_model_dir: Path, tmp_path: Path) -> None:
    first = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, max_steps=4, save_strategy="steps",
                                               save_steps=2, micro_batch_size=2), name="first")
    assert run_train(first).returncode == 0, log_text(first)
    saved = [e["path"] for e in of_kind(first, "checkpoint")]
    assert [Path(p).name for p in saved] == ["checkpoint-2", "checkpoint-4"] and all(Path(p).is_dir() for p in saved)

    # Same output_dir, twice the steps, auto resume: it picks the newest checkpoint and goes on from step 4.
    second = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, max_steps=8, save_strategy="no",
                                                micro_batch_size=2, auto_resume_from_checkpoints=True), name="second")
    assert run_train(second).returncode == 0, log_text(second)
    assert of_kind(second, "start")[0]["resumed_from_step"] == 4
    assert [e["step"] for e in of_kind(second, "step")] == [5, 6, 7, 8]
    assert of_kind(second, "finished")[0]["step"] == 8

    # An explicit resume_from_checkpoint wins over "newest": back to step 2.
    third = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, max_steps=3, save_strategy="no",
                                               micro_batch_size=2, resume_from_checkpoint=saved[0]), name="third")
    assert run_train(third).returncode == 0, log_text(third)
    assert [e["step"] for e in of_kind(third, "step")] == [3]


def _wait_for_steps(run_dir: Path, proc, count: int = 2, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while len(of_kind(run_dir, "step")) < count:
        assert proc.poll() is None, log_text(run_dir)
        assert time.time() < deadline, "training never reached its first steps"
        time.sleep(0.2)


@pytest.mark.parametrize("how", ["stop file", "SIGTERM"])
def test_a_stop_request_saves_a_checkpoint_and_exits_cleanly(tiny_model_dir: Path, tmp_path: Path, how: str) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, max_steps=100_000, micro_batch_size=2, save_strategy="no")
    run_dir = make_run_dir(tmp_path, preset)
    proc = run_train(run_dir, wait=False)
    try:
        _wait_for_steps(run_dir, proc)
        if how == "stop file":
            (run_dir / "stop").write_text("")
        else:
            os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, log_text(run_dir)
    finally:
        if proc.poll() is None:
            proc.kill()
    stopped = events(run_dir)[-1]
    assert stopped["event"] == "stopped", events(run_dir)[-3:]
    checkpoint = Path(stopped["checkpoint"])
    assert checkpoint.name == f"checkpoint-{stopped['step']}" and (checkpoint / "model.safetensors").is_file()
    assert (checkpoint / "trainer_state.json").is_file() and (checkpoint / "optimizer.pt").is_file()
    assert of_kind(run_dir, "checkpoint")[-1]["path"] == str(checkpoint)
    assert 2 <= stopped["step"] < 100_000 and not of_kind(run_dir, "finished")
    assert state(run_dir)["status"] == "stopped"


def test_a_stop_asked_for_before_training_ends_the_run_without_training(tiny_model_dir: Path, tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, max_steps=50))
    (run_dir / "stop").write_text("")
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    assert [e["event"] for e in events(run_dir)] == ["stopped"]
    assert events(run_dir)[0]["checkpoint"] is None and state(run_dir)["status"] == "stopped"
    assert not list((tmp_path / "out").glob("checkpoint-*"))
