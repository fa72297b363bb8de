"""engine.train.muon's optimizer on its own: parameters split as Axolotl splits them (Muon for hidden matrices,
AdamW for embeddings, head, norms, biases; LoRA's A and B to Muon), each update at Axolotl's spectral-norm scale, and
a state saved and loaded (what resuming does) stepping exactly as the original."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from test_estimate_exact import meta_model

from engine.train.muon import MuonWithAdamW, param_groups


def _names(groups: list[dict[str, Any]], algorithm: str) -> set[str]:
    return {name for g in groups if g["algorithm"] == algorithm for name, _ in g["params"]}


def test_hidden_matrices_go_to_muon_and_the_rest_to_adamw() -> None:
    model = meta_model("qwen2")  # tied embeddings, q/k/v biases
    decay = [n for n, _ in model.named_parameters() if "norm" not in n and "bias" not in n]
    groups = param_groups(model, 0.02, 0.1, decay)
    muon, adamw = _names(groups, "muon"), _names(groups, "adamw")
    params = dict(model.named_parameters())
    assert muon == {n for n, p in params.items() if p.ndim == 2 and "embed_tokens" not in n}
    assert adamw == set(params) - muon
    assert {"model.embed_tokens.weight", "model.norm.weight", "model.layers.0.self_attn.q_proj.bias"} <= adamw
    assert groups[0]["algorithm"] == "adamw" and groups[0]["lr"] == 0.02  # the logged rate is learning_rate
    embeddings = [g for g in groups if ("model.embed_tokens.weight", params["model.embed_tokens.weight"]) in
                  g["params"]]
    assert embeddings[0]["weight_decay"] == 0.0


def test_with_lora_muon_takes_a_and_b_and_adamw_the_saved_copies() -> None:
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(meta_model("llama"), LoraConfig(r=8, target_modules="all-linear",
                                                           modules_to_save=["lm_head"], task_type="CAUSAL_LM"))
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    groups = param_groups(model, 0.02, 0.0, [])
    muon, adamw = _names(groups, "muon"), _names(groups, "adamw")
    assert muon == {n for n in trained if ".lora_A." in n or ".lora_B." in n} and muon
    assert adamw == trained - muon and all("modules_to_save" in n for n in adamw)


@pytest.mark.parametrize(("fan_out", "fan_in"), [(16, 64), (64, 16), (32, 32)])
def test_each_update_is_axolotls_spectral_norm_step(fan_out: int, fan_in: int) -> None:
    """Axolotl (dion's adjust_lr spectral_norm) moves a matrix by learning_rate · √(fan_out/fan_in) · O, where O is
    the orthogonalised update; decay stays learning_rate × weight_decay whatever the matrix's shape."""
    torch.manual_seed(0)
    grad = torch.randn(fan_out, fan_in)
    lr, decay = 0.02, 0.1

    def stepped(weight_decay: float, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        layer = torch.nn.Linear(fan_in, fan_out, bias=False)
        before = layer.weight.detach().clone()
        optimizer = MuonWithAdamW(param_groups(layer, lr, weight_decay, ["weight"]), lr)
        layer.weight.grad = g.clone()
        optimizer.step()
        return before, layer.weight.detach()

    # torch's own Muon at rate 1 gives √max(1, fan_out/fan_in) · O ("original"): the same O
    reference = torch.nn.Parameter(torch.zeros(fan_out, fan_in))
    reference.grad = grad.clone()
    torch.optim.Muon([reference], lr=1.0, weight_decay=0.0, adjust_lr_fn="original").step()
    ortho = -reference.detach() / math.sqrt(max(1.0, fan_out / fan_in))

    before, after = stepped(0.0, grad)
    torch.testing.assert_close(after - before, -lr * math.sqrt(fan_out / fan_in) * ortho)
    before, after = stepped(decay, torch.zeros(fan_out, fan_in))  # no gradient: decay alone
    torch.testing.assert_close(after, before * (1 - lr * decay))


def test_a_loaded_state_steps_exactly_as_the_original(tmp_path: Path) -> None:
    """What resuming from a checkpoint does: optimizer.pt saved, loaded into a new optimizer over the same model."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Linear(8, 12), torch.nn.LayerNorm(12))
    twin = torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Linear(8, 12), torch.nn.LayerNorm(12))
    first = MuonWithAdamW(param_groups(model, 0.01, 0.1, ["1.weight"]), 0.01)
    for _ in range(3):
        model(torch.arange(10)).pow(2).sum().backward()
        first.step()
        first.zero_grad()
    twin.load_state_dict(model.state_dict())
    second = MuonWithAdamW(param_groups(twin, 0.01, 0.1, ["1.weight"]), 0.01)
    torch.save(first.state_dict(), tmp_path / "optimizer.pt")
    second.load_state_dict(torch.load(tmp_path / "optimizer.pt", weights_only=True))
    for net, optimizer in ((model, first), (twin, second)):
        net(torch.arange(10)).pow(2).sum().backward()
        optimizer.step()
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    embedding, linear = dict(twin.named_parameters())["0.weight"], dict(twin.named_parameters())["1.weight"]
    assert set(second.state[linear]) == {"momentum_buffer"}
    assert set(second.state[embedding]) == {"step", "exp_avg", "exp_avg_sq"}
