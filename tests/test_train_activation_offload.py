"""Activation offloading for real: a short run on the tiny model with the checkpointed activations held in CPU
memory or on disk learns exactly what the same run keeping them on the device learns, and says what it moved."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow

MOVED = re.compile(r"activation offloading: step moved (\d+) saved activations \(([\d.]+) MiB\) to (.+) until")


def _losses(tiny_model_dir: Path, tmp_path: Path, name: str, **knobs: Any) -> tuple[list[float], Path]:
    preset = base_preset(tiny_model_dir, tmp_path, num_epochs=2, **{"gradient_checkpointing": True, **knobs})
    run_dir = make_run_dir(tmp_path, preset, name)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    return [s["loss"] for s in of_kind(run_dir, "step")], run_dir


def test_offloaded_runs_learn_the_same_and_say_what_moved(tiny_model_dir: Path, tmp_path: Path) -> None:
    kept, kept_dir = _losses(tiny_model_dir, tmp_path, "kept")
    assert len(kept) == 8 and not MOVED.search(log_text(kept_dir))

    # Axolotl's spelling: gradient_checkpointing: offload is checkpointing with activations in CPU memory.
    in_cpu, cpu_dir = _losses(tiny_model_dir, tmp_path, "cpu", gradient_checkpointing="offload")
    assert in_cpu == pytest.approx(kept, rel=1e-6, abs=1e-7)
    moved = MOVED.search(log_text(cpu_dir))
    assert moved, log_text(cpu_dir)
    assert int(moved[1]) >= 2 and float(moved[2]) > 0 and moved[3] == "CPU memory"  # at least both layers' inputs

    on_disk, disk_dir = _losses(tiny_model_dir, tmp_path, "disk", activation_offloading="disk")
    assert on_disk == pytest.approx(kept, rel=1e-6, abs=1e-7)
    moved = MOVED.search(log_text(disk_dir))
    assert moved and int(moved[1]) >= 2 and moved[3].startswith("files in ")
    assert Path(moved[3].removeprefix("files in ")).resolve() == (disk_dir / "offload").resolve()
    assert not (disk_dir / "offload").exists()  # every file deleted, and the folder with them


PAIRS = Path(__file__).resolve().parent.parent / "presets" / "tiny" / "pairs.jsonl"
DPO = {"rl": "dpo", "rl_beta": 0.1, "datasets": [{"path": str(PAIRS), "type": "chat_template.default"}],
       "chat_template": "tokenizer_default", "adapter": "lora", "lora_r": 4, "lora_alpha": 8,
       "lora_target_linear": True, "learning_rate": 1e-3, "micro_batch_size": 2, "max_steps": 4, "val_set_size": 0}


def test_an_offloaded_dpo_run_learns_the_same(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The preference trainer's steps (policy and reference passes over chosen and rejected) offload as SFT's do."""
    kept, kept_dir = _losses(tiny_model_dir, tmp_path, "dpo-kept", **DPO)
    assert len(kept) == 4 and not MOVED.search(log_text(kept_dir))
    assert {"rewards_margin", "rewards_accuracy"} <= set(of_kind(kept_dir, "step")[-1])

    in_cpu, cpu_dir = _losses(tiny_model_dir, tmp_path, "dpo-cpu", activation_offloading=True, **DPO)
    assert in_cpu == pytest.approx(kept, rel=1e-6, abs=1e-7)
    assert [s["rewards_margin"] for s in of_kind(cpu_dir, "step")] == pytest.approx(
        [s["rewards_margin"] for s in of_kind(kept_dir, "step")], rel=1e-5, abs=1e-7)
    moved = MOVED.search(log_text(cpu_dir))
    assert moved and int(moved[1]) >= 2 and moved[3] == "CPU memory", log_text(cpu_dir)
