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
