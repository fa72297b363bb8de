"""W&B offline logging and secrets: a real run with tracking on, then every file it wrote searched for tokens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow

HF_SECRET = "hf_tunedeckSECRETtoken0123456789"
WANDB_SECRET = "wandbSECRETkey" + "0" * 26  # W&B keys are 40 characters


def _files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_wandb_offline_run_and_no_secret_is_ever_written(tiny_model_dir: Path, tmp_path: Path) -> None:
    wandb_dir = tmp_path / "wandb"
    wandb_dir.mkdir()
    preset = base_preset(tiny_model_dir, tmp_path, max_steps=3, micro_batch_size=4, save_strategy="steps",
                         save_steps=2, wandb_project="tunedeck-tests", wandb_name="tiny-offline",
                         wandb_mode="offline")
    run_dir = make_run_dir(tmp_path, preset)
    env = {"HF_TOKEN": HF_SECRET, "WANDB_API_KEY": WANDB_SECRET, "WANDB_DIR": str(wandb_dir),
           "WANDB_MODE": "online"}  # the knob's offline wins over the environment
    assert run_train(run_dir, env=env).returncode == 0, log_text(run_dir)
    assert of_kind(run_dir, "finished")

    runs = list((wandb_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, list(wandb_dir.rglob("*"))[:20]
    assert any(p.suffix == ".wandb" for p in runs[0].iterdir())
    logged = b"".join(p.read_bytes() for p in _files(runs[0]))
    assert b"tiny-offline" in logged and b"train/loss" in logged and b"tunedeck-tests" in logged

    leaks = [p for p in _files(run_dir, tmp_path / "out", wandb_dir)
             if HF_SECRET.encode() in p.read_bytes() or WANDB_SECRET.encode() in p.read_bytes()]
    assert not leaks, leaks
    assert os.environ.get("HF_TOKEN") != HF_SECRET  # the test did not leak it into its own process either


def test_an_unreachable_hub_fails_with_hub_model_id_as_culprit(tiny_model_dir: Path, tmp_path: Path) -> None:
    # The tests run with HF_HUB_OFFLINE=1: creating the Hub repository fails before training starts.
    run_dir = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, max_steps=2, hub_model_id="me/tiny"))
    assert run_train(run_dir, env={"HF_TOKEN": HF_SECRET, "HF_HUB_OFFLINE": "1"}).returncode == 1
    error = of_kind(run_dir, "error")[0]
    assert error["key"] == "hub_model_id" and "HF_TOKEN" in error["message"] and not of_kind(run_dir, "step")
    assert not [p for p in _files(run_dir) if HF_SECRET.encode() in p.read_bytes()]
