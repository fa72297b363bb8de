"""The training entry point for real: `python -m engine.train RUN_DIR` on a tiny model, checked through the run
folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from _train_helpers import base_preset, events, log_text, make_run_dir, of_kind, run_train, state
from safetensors.torch import load_file

pytestmark = pytest.mark.slow


def test_full_finetune_memorises_and_reports(tiny_model_dir: Path, tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, base_preset(tiny_model_dir, tmp_path, num_epochs=30, micro_batch_size=8))
    assert run_train(run_dir).returncode == 0, log_text(run_dir)

    start = of_kind(run_dir, "start")[0]
    assert start["total_steps"] == 60 and start["steps_per_epoch"] == 2  # 16 rows / 8 per step, 30 epochs
    assert start["effective_batch_size"] == 8 and start["num_processes"] == 1 and start["command"]
    steps = of_kind(run_dir, "step")
    assert [s["step"] for s in steps] == list(range(1, 61))
    assert steps[-1]["loss"] < 0.4 * steps[0]["loss"]  # memorised: the loss has fallen by more than half
    assert all(s["tokens_per_second"] > 0 and s["eta_seconds"] >= 0 and s["grad_norm"] > 0 for s in steps)
    assert steps[-1]["eta_seconds"] == 0 and steps[-1]["epoch"] == pytest.approx(30)
    log = log_text(run_dir)
    assert "train step 1/60  loss " in log and "done step 60/60  train_loss " in log  # plain lines for people
    assert "/60 [" not in log  # no tqdm training bar redrawn between them

    finished = events(run_dir)[-1]
    out = Path(finished["model_dir"])
    assert finished["event"] == "finished" and finished["step"] == 60 and out == (tmp_path / "out").resolve()
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    assert state(run_dir)["status"] == "finished" and state(run_dir)["ended_at"]


def test_lora_trains_and_saves_only_an_adapter(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, num_epochs=10, micro_batch_size=8, adapter="lora",
                         lora_r=8, lora_alpha=16, lora_target_modules=["q_proj", "v_proj"], learning_rate=1e-2)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)

    steps = of_kind(run_dir, "step")
    assert steps[-1]["loss"] < steps[0]["loss"] - 0.1
    out = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])
    assert not (out / "model.safetensors").exists()
    weights = load_file(out / "adapter_model.safetensors")
    names = sorted(weights)
    assert names and all("lora_A" in n or "lora_B" in n for n in names)
    assert {n.split(".")[-3] for n in names} == {"q_proj", "v_proj"}
    assert any(weights[n].abs().sum() > 0 for n in names if "lora_B" in n)  # B starts at zero: it was trained


def test_qlora_trains_on_cpu_without_evaluation(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, num_epochs=6, micro_batch_size=8, adapter="qlora",
                         load_in_4bit=True, lora_target_linear=True, learning_rate=1e-2)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    steps = of_kind(run_dir, "step")
    assert len(steps) == 12 and steps[-1]["loss"] < steps[0]["loss"]
    out = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])
    assert (out / "adapter_model.safetensors").is_file()


def test_cpu_qlora_with_a_validation_set_is_refused_before_training(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, adapter="qlora", load_in_4bit=True, lora_target_linear=True,
                         val_set_size=0.25)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 1
    kinds = [e["event"] for e in events(run_dir)]
    assert kinds == ["error"]  # nothing started
    error = events(run_dir)[0]
    assert error["key"] == "val_set_size" and "val_set_size: 0" in error["message"]
    assert "Traceback" not in error["message"] and "Traceback" not in log_text(run_dir)
    assert state(run_dir)["status"] == "failed"
    assert not (tmp_path / "out").exists()


def test_a_crash_becomes_an_error_event_with_the_log_tail(tiny_model_dir: Path, tmp_path: Path) -> None:
    # A dataset that is not there fails in data preparation, after the run has started up.
    preset = base_preset(tiny_model_dir, tmp_path, datasets=[{"path": str(tmp_path / "missing.jsonl"),
                                                              "type": "completion"}])
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 1
    error = of_kind(run_dir, "error")[0]
    assert "missing.jsonl" in error["message"] and error.get("key", "").startswith("datasets")
    assert "\n" not in error["message"].strip()
    assert state(run_dir)["status"] == "failed"


def test_packed_training_with_evaluation_counts_tokens_exactly(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, num_epochs=2, micro_batch_size=2, sample_packing=True,
                         sequence_len=96, val_set_size=4, evals_per_epoch=1)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)

    start, steps = of_kind(run_dir, "start")[0], of_kind(run_dir, "step")
    per_epoch = start["steps_per_epoch"]
    assert start["train_rows"] < 12  # 12 training rows packed into fewer sequences
    assert [e["step"] for e in of_kind(run_dir, "eval")] == [per_epoch, 2 * per_epoch]
    assert all(e["eval_loss"] > 0 for e in of_kind(run_dir, "eval"))
    # Every epoch trains on the same tokens; evaluation batches are not counted as training tokens.
    assert steps[-1]["num_tokens"] == 2 * steps[per_epoch - 1]["num_tokens"] > 0
    assert all(s["tokens_per_second"] > 0 for s in steps)
    assert all(b["num_tokens"] > a["num_tokens"] for a, b in itertools.pairwise(steps))
