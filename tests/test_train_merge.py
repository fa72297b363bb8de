"""`tunedeck merge`: a trained adapter folded into its base weights gives the same outputs as base + adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _train_helpers import REPO, base_preset, log_text, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("adapter", ["lora", "qlora"])
def test_merged_model_matches_the_adapter_model(tiny_model_dir: Path, tmp_path: Path, adapter: str) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from engine.train.model import resize_embeddings

    extra = {"load_in_4bit": True} if adapter == "qlora" else {}
    preset = base_preset(tiny_model_dir, tmp_path, max_steps=6, micro_batch_size=4, adapter=adapter,
                         lora_target_linear=True, learning_rate=2e-2, tokens=["<fact>"], **extra)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    adapter_dir = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])

    out = tmp_path / "merged"
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(run_dir), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert not (out / "adapter_config.json").exists()
    assert "quantization_config" not in json.loads((out / "config.json").read_text())

    tokenizer = AutoTokenizer.from_pretrained(out)
    assert "<fact>" in tokenizer.get_vocab()
    ids = tokenizer(["The capital of Onmelvel is Stozor. <fact>"], return_tensors="pt").input_ids
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    resize_embeddings(base, tokenizer)
    reference = PeftModel.from_pretrained(base, adapter_dir).eval()
    merged = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    untouched = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        want = reference(ids).logits
        got = merged(ids).logits
        before = untouched(ids[:, :-1]).logits
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(got[:, :-1, : before.shape[-1]], before, atol=1e-3)  # the adapter changed something


def test_merge_refuses_a_folder_without_an_adapter(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "adapter_config.json" in done.stderr and "Traceback" not in done.stderr
