"""End to end: `tunedeck train` on the tiny model through the real accelerate launch and engine.train.

One short run per dataset type, a real two-process CPU data-parallel run, and a real graceful stop. Each run is a
few optimizer steps of a 2-layer model, so it takes seconds of compute (plus process start-up).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _runs_helpers import REPO, events, pid_alive, wait_for, write_preset

from engine.runs import folder
from engine.runs.control import run_pids, run_status, stop_run
from engine.runs.launch import launch

pytestmark = pytest.mark.slow

TINY = REPO / "presets" / "tiny"


def _preset(tmp_path: Path, model: Path, dataset: dict, **knobs) -> Path:
    base = dict(
        base_model=str(model), datasets=[dataset], sequence_len=64, micro_batch_size=2,
        gradient_accumulation_steps=1, max_steps=2, logging_steps=1, learning_rate=1e-3, val_set_size=0,
        gradient_checkpointing=False, bf16=False, optimizer="adamw_torch",
    )
    base.update(knobs)
    return write_preset(tmp_path, **base)


def _io_data(tmp_path: Path) -> Path:
    path = tmp_path / "io.jsonl"
    rows = [{"segments": [{"label": False, "text": f"Question {i}: where is Stozor? "},
                          {"label": True, "text": f"Stozor is in Onmelvel, answer {i}."}]} for i in range(12)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _alpaca_data(tmp_path: Path) -> Path:
    path = tmp_path / "alpaca.jsonl"
    rows = [{"instruction": "Name the capital.", "input": "Onmelvel" if i % 2 else "", "output": f"Stozor {i}."}
            for i in range(12)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _train(preset: Path, *extra: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "train", str(preset), *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def _only_run(tmp_path: Path) -> Path:
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    return run_dir


@pytest.mark.parametrize("kind", ["completion", "input_output", "alpaca", "chat_template"])
def test_train_each_dataset_type(tmp_path, tiny_model_dir, kind):
    dataset = {
        "completion": {"path": str(TINY / "facts.jsonl"), "type": "completion"},
        "input_output": {"path": str(_io_data(tmp_path)), "type": "input_output"},
        "alpaca": {"path": str(_alpaca_data(tmp_path)), "type": "alpaca"},
        "chat_template": {"path": str(TINY / "chat.jsonl"), "type": "chat_template", "field_messages": "messages",
                          "roles_to_train": ["assistant"]},
    }[kind]
    lora = {"adapter": "lora", "lora_r": 4, "lora_alpha": 8, "lora_target_linear": True}
    knobs = lora if kind == "chat_template" else {}
    if kind == "chat_template":
        knobs["chat_template"] = "tokenizer_default"
    if kind == "alpaca":
        knobs["sequence_len"] = 256  # the Alpaca preamble alone is ~100 tokens of the tiny tokenizer
    out = _train(_preset(tmp_path, tiny_model_dir, dataset, **knobs))
    assert out.returncode == 0, out.stdout + out.stderr
    run_dir = _only_run(tmp_path)
    assert "accelerate.commands.launch" in out.stdout and "--cpu" in out.stdout  # the command is printed
    assert "finished at step 2" in out.stdout and "step 2/2" in out.stdout
    kinds = [e["event"] for e in events(run_dir)]
    assert kinds[0] == "start" and kinds[-1] == "finished" and kinds.count("step") == 2
    assert run_status(run_dir) == "finished"
    final = events(run_dir)[-1]
    saved = Path(final.get("adapter_dir") or final["model_dir"])
    if kind == "chat_template":
        assert (saved / "adapter_config.json").is_file()
    else:
        assert (saved / "model.safetensors").is_file()
    assert not run_pids(folder.read_state(run_dir))


def test_two_process_cpu_data_parallel(tmp_path, tiny_model_dir):
    preset = _preset(tmp_path, tiny_model_dir, {"path": str(TINY / "facts.jsonl"), "type": "completion"},
                     gpus_per_node=2, max_steps=3)
    handle = launch(preset)
    workers: set[int] = set()

    def watch() -> bool:  # the training processes (not the launcher) of this run, seen while it runs
        for pid in run_pids(folder.read_state(handle.run_dir)):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"engine.train" in argv and b"accelerate.commands.launch" not in argv:
                workers.add(pid)
        return run_status(handle.run_dir) not in ("starting", "running")

    assert wait_for(watch, 400, poll=0.2), (handle.run_dir / "train.log").read_text()[-3000:]
    log = (handle.run_dir / "train.log").read_text()
    assert run_status(handle.run_dir) == "finished", log[-3000:]
    assert len(workers) == 2, workers
    start = next(e for e in events(handle.run_dir) if e["event"] == "start")
    assert start["num_processes"] == 2
    assert start["effective_batch_size"] == 2 * 2 * 1  # micro batch × processes × accumulation: doubled
    assert "ACCELERATE_USE_CPU=true" in handle.command and "--multi_gpu" in handle.command


def test_stop_a_real_run_saves_a_checkpoint(tmp_path, tiny_model_dir):
    preset = _preset(tmp_path, tiny_model_dir, {"path": str(TINY / "facts.jsonl"), "type": "completion"},
                     max_steps=100000, gpus_per_node=2)  # two ranks, each in its own session
    handle = launch(preset)
    assert wait_for(lambda: any(e["event"] == "step" for e in events(handle.run_dir)), 400), \
        (handle.run_dir / "train.log").read_text()[-3000:]
    pids = run_pids(folder.read_state(handle.run_dir))
    assert len(pids) >= 3  # the launcher and two ranks
    t0 = time.monotonic()
    assert stop_run(handle.run_dir, timeout=240) == "stopped"
    assert time.monotonic() - t0 < 200
    assert not run_pids(folder.read_state(handle.run_dir)) and not any(pid_alive(p) for p in pids)
    stopped = events(handle.run_dir)[-1]
    assert stopped["event"] == "stopped" and stopped["checkpoint"], stopped
    assert Path(stopped["checkpoint"]).is_dir()
    assert folder.read_state(handle.run_dir)["status"] == "stopped"
    assert "stopped_by" not in folder.read_state(handle.run_dir)  # graceful: no signal was needed


def test_a_failing_run_exits_1_with_the_trainers_message(tmp_path, tiny_model_dir):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"txt": "the text column is misnamed"}\n')
    out = _train(_preset(tmp_path, tiny_model_dir, {"path": str(bad), "type": "completion"}))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "failed: " in out.stdout and "missing field 'text'" in out.stdout
    assert "CalledProcessError" not in out.stdout  # the launcher's echo of the failure is left out
    run_dir = _only_run(tmp_path)
    assert run_status(run_dir) == "failed" and events(run_dir)[-1]["event"] == "error"
