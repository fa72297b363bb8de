"""A DPO run launched like an SFT run: through `tunedeck train` and the real accelerate launcher, on two CPU
processes (the multi-process launcher), and stopped mid-run then relaunched, resuming from its checkpoint with
the reference model still the starting one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _resume_helpers import StoppedRun, run_folders, stop_a_real_run, tunedeck
from _runs_helpers import REPO, events, write_preset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("preference_launch")]

PAIRS = REPO / "presets" / "tiny" / "pairs.jsonl"
DPO = dict(rl="dpo", rl_beta=0.1, datasets=[{"path": str(PAIRS), "type": "chat_template.default"}],
           chat_template="tokenizer_default", sequence_len=128, adapter="lora", lora_r=4, lora_alpha=8,
           lora_target_linear=True, learning_rate=1e-3, optimizer="adamw_torch", gradient_checkpointing=False,
           bf16=False, val_set_size=0, logging_steps=1)
REWARDS = ("rewards_chosen", "rewards_rejected", "rewards_margin", "rewards_accuracy")


def test_dpo_on_two_cpu_processes_trains_and_finishes(tmp_path: Path, tiny_model_dir: Path) -> None:
    preset = write_preset(tmp_path, **{**DPO, "base_model": str(tiny_model_dir), "gpus_per_node": 2,
                                       "micro_batch_size": 2, "max_steps": 3})
    out = tunedeck("train", str(preset))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "--multi_gpu" in out.stdout and "ACCELERATE_USE_CPU=true" in out.stdout
    assert "finished at step 3" in out.stdout
    (run_dir,) = run_folders(tmp_path / "out")
    start = next(e for e in events(run_dir) if e["event"] == "start")
    assert start["num_processes"] == 2 and start["effective_batch_size"] == 2 * 2
    assert start["steps_per_epoch"] == 120 // 4  # 120 pairs shared by two processes of 2 pairs each
    steps = [e for e in events(run_dir) if e["event"] == "step"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert all(set(REWARDS) <= set(s) for s in steps)
    assert events(run_dir)[-1]["event"] == "finished"
    assert (tmp_path / "out" / "adapter_config.json").is_file()


@pytest.fixture(scope="module")
def stopped_dpo(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> StoppedRun:
    return stop_a_real_run(tmp_path_factory.mktemp("stopped_dpo"),
                           **{**DPO, "base_model": str(tiny_model_dir), "micro_batch_size": 4})


def test_a_stopped_dpo_run_saved_its_adapter_checkpoint(stopped_dpo: StoppedRun) -> None:
    assert (stopped_dpo.checkpoint / "adapter_model.safetensors").is_file()
    assert (stopped_dpo.checkpoint / "optimizer.pt").is_file()
    assert events(stopped_dpo.run_dir)[-1]["event"] == "stopped"


def test_a_stopped_dpo_run_resumes_against_the_starting_reference(stopped_dpo: StoppedRun) -> None:
    """The relaunch resumes from the checkpoint. Its first step's rewards are not zero: the policy (the
    checkpoint's adapter) differs from the reference (the base with the adapter off); a reference rebuilt from
    the checkpoint would make them exactly zero and the loss exactly log 2, as at step 1 of a fresh run."""
    step = stopped_dpo.step
    out = tunedeck("train", str(stopped_dpo.preset), "--set", f"max_steps={step + 2}")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"resuming from checkpoint-{step}" in out.stdout
    resumed = run_folders(stopped_dpo.output_dir)[-1]
    assert resumed != stopped_dpo.run_dir
    start = next(e for e in events(resumed) if e["event"] == "start")
    assert start["resumed_from_step"] == step
    steps = [e for e in events(resumed) if e["event"] == "step"]
    assert [s["step"] for s in steps] == [step + 1, step + 2]
    first = steps[0]
    assert set(REWARDS) <= set(first)
    assert first["rewards_chosen"] != 0.0 and first["rewards_rejected"] != 0.0
    assert not math.isclose(first["loss"], math.log(2), abs_tol=1e-6)
    assert events(resumed)[-1]["event"] == "finished"
