"""peft's prompt-learning adapters (prompt_tuning, p_tuning, prefix_tuning): a real short run on the tiny model
learns, saves an adapter folder, generates from it, and ``tunedeck merge`` refuses it with a clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _train_helpers import REPO, base_preset, log_text, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow

PEFT_TYPES = {"prompt_tuning": "PROMPT_TUNING", "p_tuning": "P_TUNING", "prefix_tuning": "PREFIX_TUNING"}


def _engine(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("adapter", sorted(PEFT_TYPES))
def test_a_prompt_learning_adapter_learns_saves_generates_and_refuses_merge(
        tiny_model_dir: Path, tmp_path: Path, adapter: str) -> None:
    extra = {"prompt_tuning_init_text": "The capital of"} if adapter == "prompt_tuning" else {}
    preset = base_preset(tiny_model_dir, tmp_path, max_steps=30, adapter=adapter, num_virtual_tokens=8,
                         learning_rate=3e-2, **extra)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)

    steps = of_kind(run_dir, "step")
    assert len(steps) == 30
    losses = [s["loss"] for s in steps]
    assert sum(losses[-5:]) < sum(losses[:5]), losses  # only the virtual tokens train, yet the loss falls
    adapter_dir = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])
    saved = json.loads((adapter_dir / "adapter_config.json").read_text())
    assert saved["peft_type"] == PEFT_TYPES[adapter] and saved["num_virtual_tokens"] == 8

    prompts, out = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    prompts.write_text(json.dumps({"prompt": "The capital of Onmelvel is"}) + "\n")
    done = _engine("generate", str(run_dir), "--prompts", str(prompts), "--out", str(out))
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line)["answer"] for line in out.read_text().splitlines()]
    assert len(answers) == 1 and answers[0].strip()

    refused = _engine("merge", str(run_dir), "--out", str(tmp_path / "merged"))
    assert refused.returncode == 2, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "cannot be merged" in message and PEFT_TYPES[adapter].lower() in message
    assert "Traceback" not in refused.stderr and not (tmp_path / "merged").exists()
