"""``tunedeck validate`` checks that this machine can run the preset: local files exist, CPU-only limits hold.

Run as a user runs it (a subprocess); ``CUDA_VISIBLE_DEVICES=""`` hides every GPU from it, as it does from torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _preset_helpers import line_of

from engine.knobs import Config
from engine.machine import cpu_refusals, gpu_usable
from engine.preset import load_preset
from engine.preset.on_this_machine import problems_here
from engine.train.hardware import resolve_precision

REPO = Path(__file__).resolve().parent.parent

QLORA_WITH_EVAL = """\
base_model: org/some-model
datasets:
  - path: chat.jsonl
    type: chat_template
adapter: qlora
load_in_4bit: true
lora_target_linear: true
val_set_size: 0.05
"""


def validate(*args: str, cwd: Path, gpu: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="400")
    if not gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    return subprocess.run([sys.executable, "-m", "tui.cli", "validate", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)


def preset_beside_data(tmp_path: Path, text: str) -> Path:
    (tmp_path / "chat.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    path = tmp_path / "preset.yaml"
    path.write_text(text)
    return path


def test_qlora_with_evaluation_is_an_error_on_a_machine_without_a_gpu(tmp_path: Path) -> None:
    path = preset_beside_data(tmp_path, QLORA_WITH_EVAL)
    result = validate(str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    line = line_of(QLORA_WITH_EVAL, "val_set_size")
    assert f"{path}:{line}: val_set_size: val_set_size is 0.05 with a quantized" in result.stdout
    assert "without a GPU" in result.stdout and "Set val_set_size: 0" in result.stdout
    assert f"{path}: invalid — 1 error" in result.stdout

    anywhere = validate(str(path), "--anywhere", cwd=tmp_path)  # the preset itself is fine (for a GPU machine)
    assert anywhere.returncode == 0, anywhere.stdout
    assert load_preset(path).ok, "a GPU preset written on a laptop still saves"


def test_no_evaluation_no_refusal(tmp_path: Path) -> None:
    """evals_per_epoch: 0 is Axolotl's "no evaluation": nothing evaluates, so 4-bit on a CPU is fine."""
    path = preset_beside_data(tmp_path, QLORA_WITH_EVAL + "evals_per_epoch: 0\n")
    result = validate(str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "evals_per_epoch is 0, so no evaluation runs" in result.stdout  # the held-out rows are wasted


def test_the_engine_refuses_exactly_what_validate_reports() -> None:
    """One list of CPU refusals: the launch-time check raises the first of them, word for word."""
    cases: list[dict[str, Any]] = [
        {"adapter": "qlora", "load_in_4bit": True, "lora_target_linear": True, "val_set_size": 0.1},
        {"bf16": True},
        {"fp16": True},
    ]
    for values in cases:
        cfg = Config.model_validate({"base_model": "m", "datasets": [{"path": "d"}], **values})
        [(key, message)] = list(cpu_refusals(cfg))
        with pytest.raises(Exception) as raised:
            resolve_precision(cfg, cuda=False, bf16_supported=False)
        assert str(raised.value) == message and raised.value.key == key  # type: ignore[attr-defined]
    no_eval = Config.model_validate({"base_model": "m", "datasets": [{"path": "d"}], "adapter": "qlora",
                                     "load_in_4bit": True, "lora_target_linear": True, "val_set_size": 0.1,
                                     "eval_strategy": "no"})
    assert list(cpu_refusals(no_eval)) == []


def test_cuda_visible_devices_empty_hides_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu_usable() is False
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert gpu_usable() is False


DATASETS = """\
base_model: org/some-model
datasets:
  - path: chat.jsonl
    type: chat_template
  - path: data/missing.jsonl
  - path: ./nowhere
  - path: mlabonne/FineTome-100k
    type: chat_template
"""


def test_a_missing_local_dataset_is_an_error_a_hub_id_is_not(tmp_path: Path) -> None:
    path = preset_beside_data(tmp_path, DATASETS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = validate(str(path), cwd=elsewhere)  # chat.jsonl is found beside the preset
    assert result.returncode == 2, result.stdout
    out = result.stdout
    assert f"{path}:{line_of(DATASETS, 'data/missing.jsonl')}: datasets.1.path: 'data/missing.jsonl' is written " \
           "as a local path, but no such file or folder is in the working directory" in out
    assert f"{path}:{line_of(DATASETS, './nowhere')}: datasets.2.path: './nowhere'" in out
    assert "chat.jsonl'" not in out and "FineTome" not in out
    assert f"{path}: invalid — 2 errors" in out


def test_a_base_model_written_as_a_path_that_is_no_folder_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "weights.safetensors").write_text("")
    (tmp_path / "model").mkdir()
    for base, words in (("./models/llama-3-8b", "no such folder"), ("weights.safetensors", "is a file"),
                        ("model", None), ("meta-llama/Meta-Llama-3-8B", None)):
        path = preset_beside_data(tmp_path, f"base_model: {base}\ndatasets:\n  - path: chat.jsonl\n")
        found = [p for p in problems_here(load_preset(path)) if p.key == "base_model"]
        if words is None:
            assert found == [], base
            continue
        [hint] = found
        assert hint.severity == "warning" and hint.line == 1 and words in hint.message
        assert ("base_model" in hint.message and "Hugging Face model id" in hint.message) or "folder" in hint.message


def test_forcing_the_cpu_is_seen_by_validate_and_the_launch_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """TUNEDECK_FORCE_CPU=1 made the launch command CPU-only while validate still judged the preset for a GPU."""
    import engine.machine as machine
    from engine.runs.command import has_gpu

    monkeypatch.setattr(machine, "_gpu_device_present", lambda: True)  # a GPU machine with a CUDA build of torch
    monkeypatch.setattr(machine, "_torch_gpu_build", lambda: True)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("TUNEDECK_FORCE_CPU", raising=False)
    assert gpu_usable() is True and has_gpu() is True
    monkeypatch.setenv("TUNEDECK_FORCE_CPU", "1")
    assert gpu_usable() is False and has_gpu() is False
