"""Helpers for the inference tests: the bundled demo preset trained for real on a few of its chats, so the tuned
model has learned their answers by heart (the whole demo teaches the pattern of its chats, not each fact)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests._train_helpers import CHAT, REPO, make_run_dir, run_train

DEMO = REPO / "presets" / "tiny-cpu-demo.yaml"


def demo_rows(count: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in CHAT.read_text().splitlines()[:count]]


def train_demo(tmp: Path, *, rows: int = 6, steps: int = 100, **overrides: Any) -> Path:
    """The demo preset on its first ``rows`` chats for ``steps`` steps (constant rate); returns the run folder."""
    data = tmp / "chats.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in demo_rows(rows)))
    preset = yaml.safe_load(DEMO.read_text())
    preset.update(base_model=str(REPO / "presets" / "tiny" / "model"), output_dir=str(tmp / "out"),
                  dataset_prepared_path=str(tmp / "prepared"), max_steps=steps, lr_scheduler="constant",
                  warmup_steps=5, val_set_size=0, evals_per_epoch=None, save_strategy="no", saves_per_epoch=None,
                  save_total_limit=None)
    preset["datasets"][0]["path"] = str(data)
    preset.update(overrides)
    run_dir = make_run_dir(tmp, preset)
    assert run_train(run_dir).returncode == 0, (run_dir / "train.log").read_text()[-3000:]
    return run_dir
