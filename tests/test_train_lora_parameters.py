"""A real run with lora_target_parameters on a tiny mixture-of-experts model (Qwen3-MoE, experts stored as fused
3-D tensors): the LoRA weights of the named tensors exist, train, are saved in the adapter, and `tunedeck merge`
folds them into the expert tensors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _train_helpers import REPO, base_preset, log_text, make_run_dir, of_kind, run_train

pytestmark = pytest.mark.slow

EXPERTS = ["experts.gate_up_proj", "experts.down_proj"]


def test_expert_tensors_train_save_and_merge(tiny_moe_dir: Path, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    preset = base_preset(tiny_moe_dir, tmp_path, max_steps=6, adapter="lora", lora_r=4, lora_alpha=8,
                         lora_dropout=0.0, lora_target_parameters=EXPERTS, learning_rate=2e-2)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    adapter_dir = Path(of_kind(run_dir, "finished")[0]["adapter_dir"])

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    assert sorted(config["target_parameters"]) == sorted(EXPERTS)
    assert not config["target_modules"]  # the experts alone: no attention layer was adapted
    saved = load_file(adapter_dir / "adapter_model.safetensors")
    expert_keys = [k for k in saved if ".mlp.experts." in k]
    assert expert_keys and len(expert_keys) == len(saved)  # 2 layers × 2 tensors × (A, B)
    assert len(expert_keys) == 8
    # peft starts every B at zero, so a B that is not zero was changed by training.
    for key in (k for k in expert_keys if "lora_B" in k):
        assert saved[key].abs().max() > 0, key

    out = tmp_path / "merged"
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(run_dir), "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ids = torch.tensor([[5, 17, 42, 99, 7, 3, 250, 11]])
    base = AutoModelForCausalLM.from_pretrained(tiny_moe_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        before = base(ids).logits
        want = PeftModel.from_pretrained(base, adapter_dir).eval()(ids).logits
        got = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()(ids).logits
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(got, before, atol=1e-4)  # the merged experts differ from the base's
