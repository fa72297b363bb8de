"""A real stopped run to resume: the bundled tiny model trained through the real launcher until it has saved a
checkpoint, then stopped gracefully (as `tunedeck stop` does), so its output_dir holds a complete checkpoint."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _runs_helpers import REPO, events, wait_for, write_preset

REAL_TRAINING = dict(max_steps=100_000, save_strategy="steps", save_steps=2, logging_steps=1, val_set_size=0,
                     learning_rate=1e-3, optimizer="adamw_torch", gradient_checkpointing=False, bf16=False)


@dataclass
class StoppedRun:
    preset: Path
    output_dir: Path
    run_dir: Path
    checkpoint: Path
    step: int


def stop_a_real_run(folder: Path, **knobs: object) -> StoppedRun:
    from engine.runs.control import stop_run
    from engine.runs.launch import launch

    preset = write_preset(folder, **{**REAL_TRAINING, **knobs})
    handle = launch(preset)
    saved = wait_for(lambda: {"checkpoint", "error"} & {e["event"] for e in events(handle.run_dir)}, 400, poll=0.2)
    assert saved and not any(e["event"] == "error" for e in events(handle.run_dir)), \
        (handle.run_dir / "train.log").read_text()[-3000:]
    assert stop_run(handle.run_dir, timeout=240) == "stopped"
    stopped = events(handle.run_dir)[-1]
    assert stopped["event"] == "stopped" and stopped["checkpoint"], stopped
    checkpoint = Path(stopped["checkpoint"])
    return StoppedRun(preset, folder / "out", handle.run_dir, checkpoint, int(stopped["step"]))


def tunedeck(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def run_folders(output_dir: Path) -> list[Path]:
    return sorted(p for p in (output_dir / "runs").iterdir() if p.is_dir()) if (output_dir / "runs").is_dir() else []


def complete_checkpoint(output_dir: Path, step: int) -> Path:
    """Fill ``output_dir/checkpoint-<step>`` with what transformers saves (weights, optimizer, trainer state),
    written by torch, safetensors and transformers themselves: for tests of the decisions around a checkpoint
    that need no training (the resume itself is tested on real runs above)."""
    import torch
    from safetensors.torch import save_file
    from transformers import TrainerState

    path = output_dir / f"checkpoint-{step}"
    path.mkdir(parents=True, exist_ok=True)
    weight = torch.nn.Parameter(torch.zeros(4, 4))
    save_file({"weight": weight.data}, str(path / "model.safetensors"))
    optimizer = torch.optim.AdamW([weight])
    torch.save(optimizer.state_dict(), path / "optimizer.pt")
    TrainerState(global_step=step, max_steps=1000).save_to_json(str(path / "trainer_state.json"))
    return path


def stopped_fake_run(folder: Path, monkeypatch: object, **knobs: object) -> StoppedRun:
    """A run of the fake trainer (tests/_runs_helpers) launched and stopped through the real launcher, its
    checkpoint then completed: a stopped run of the preset, in seconds."""
    from _runs_helpers import use_fake_trainer

    from engine.runs.control import stop_run
    from engine.runs.launch import launch

    use_fake_trainer(monkeypatch, step_seconds=0.1)
    preset = write_preset(folder, **{"max_steps": 1000, **knobs})
    handle = launch(preset)
    assert wait_for(lambda: any(e["event"] == "step" for e in events(handle.run_dir)), 120)
    assert stop_run(handle.run_dir, timeout=60) == "stopped"
    stopped = events(handle.run_dir)[-1]
    checkpoint = complete_checkpoint(folder / "out", int(stopped["step"]))
    return StoppedRun(preset, folder / "out", handle.run_dir, checkpoint, int(stopped["step"]))
