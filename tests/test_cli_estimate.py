"""``tunedeck estimate`` as a user runs it: the table, --json, the verdict's exit status, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def estimate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", "estimate", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=300, check=False)


def test_json_for_a_shipped_qlora_preset_that_fits_and_one_that_does_not() -> None:
    preset = "presets/llama3-8b-qlora-chat.yaml"
    result = estimate(preset, "--json", "--no-data", "--gpu-memory", "80")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    per_gpu = out["per_gpu"]
    assert per_gpu["low_gib"] < per_gpu["expected_gib"] < per_gpu["high_gib"]
    assert abs(sum(per_gpu["parts"].values()) - per_gpu["expected_gib"]) < 0.01
    assert {"weights", "gradients", "optimizer", "checkpointed_inputs", "logits"} <= set(per_gpu["parts"])
    assert out["gpu_memory_gib"] == 80 and out["fits"] is True and out["suggestions"] == []
    assert 8.0e9 < out["total_params"] < 8.1e9  # Llama 3 8B from the bundled table, offline

    small = estimate(preset, "--json", "--no-data", "--gpu-memory", "12")
    assert small.returncode == 1
    verdict = json.loads(small.stdout)
    assert verdict["fits"] is False
    saved = [s["saved_gib"] for s in verdict["suggestions"]]
    assert saved and saved == sorted(saved, reverse=True)
    assert any(s["changes"].get("micro_batch_size") == 1 and s["changes"].get("gradient_accumulation_steps") == 8
               for s in verdict["suggestions"])  # the effective batch kept: 2 × 4 → 1 × 8


def test_table_and_time_for_the_tiny_demo_from_its_real_token_counts(tmp_path: Path) -> None:
    prepared = f"dataset_prepared_path={tmp_path / 'prepared'}"  # not the shipped default inside the repository
    result = estimate("presets/tiny-cpu-demo.yaml", "--set", "target_gpu=A100-80GB", "--set", prepared)
    assert result.returncode == 0, result.stderr
    assert "Peak memory per GPU" in result.stdout and "logits (fp32)" in result.stdout
    assert "Fits A100-80GB" in result.stdout
    assert "Time: " in result.stdout and "no estimate" not in result.stdout
    out = json.loads(estimate("presets/tiny-cpu-demo.yaml", "--set", "target_gpu=A100-80GB", "--set", prepared,
                              "--json").stdout)
    assert out["time"]["tokens"] > 0 and 0 < out["time"]["low_s"] <= out["time"]["high_s"]


def test_an_unknown_model_offline_gives_a_clear_message_and_no_estimate(tmp_path: Path) -> None:
    preset = tmp_path / "p.yaml"
    preset.write_text((REPO / "presets/llama3-8b-qlora-chat.yaml").read_text()
                      .replace("meta-llama/Meta-Llama-3-8B-Instruct", "someone/not-a-known-model"))
    result = estimate(str(preset), "--json", "--no-data")
    assert result.returncode == 2 and result.stdout == ""
    assert "someone/not-a-known-model" in result.stderr and "huggingface-cli download" in result.stderr
    assert "Traceback" not in result.stderr
