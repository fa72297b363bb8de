"""Helpers for the trainer's tests: write a preset into a run folder and run ``python -m engine.train`` for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
FACTS = REPO / "presets" / "tiny" / "facts.jsonl"
CHAT = REPO / "presets" / "tiny" / "chat.jsonl"


def base_preset(model_dir: Path, tmp: Path, **overrides: Any) -> dict[str, Any]:
    """A small, fast preset on the tiny model: a few facts, short sequences, no checkpoints unless asked."""
    data = tmp / "facts.jsonl"
    if not data.exists():
        data.write_text("\n".join(FACTS.read_text().splitlines()[:16]) + "\n")
    preset: dict[str, Any] = {
        "base_model": str(model_dir),
        "datasets": [{"path": str(data), "type": "completion"}],
        "sequence_len": 64,
        "micro_batch_size": 4,
        "gradient_accumulation_steps": 1,
        "num_epochs": 1,
        "learning_rate": 3e-3,
        "lr_scheduler": "constant",
        "optimizer": "adamw_torch",
        "output_dir": str(tmp / "out"),
        "save_strategy": "no",
        "logging_steps": 1,
        "dataset_prepared_path": str(tmp / "prepared"),
    }
    preset.update(overrides)
    return preset


def make_run_dir(tmp: Path, preset: dict[str, Any], name: str = "run") -> Path:
    run_dir = tmp / "runs" / name
    run_dir.mkdir(parents=True)
    (run_dir / "preset.yaml").write_text(yaml.safe_dump(preset, sort_keys=False))
    (run_dir / "state.json").write_text(json.dumps({"run_id": name, "status": "starting"}))
    return run_dir


def run_train(run_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 300,
              wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    """Start the real training entry point with output to RUN/train.log, as the launcher does."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    with open(run_dir / "train.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "engine.train", str(run_dir)], cwd=REPO, env=full_env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if not wait:
        return proc
    rc = proc.wait(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, rc)


def events(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def of_kind(run_dir: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in events(run_dir) if e["event"] == kind]


def state(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "state.json").read_text())


def log_text(run_dir: Path) -> str:
    return (run_dir / "train.log").read_text(errors="replace")
