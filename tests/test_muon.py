"""optimizer: muon (Axolotl's key value): taught and validated, its optimizer state estimated exactly, and a real
tiny-model run whose checkpoint shows which algorithm kept which parameter's state (the optimizer itself:
tests/test_muon_optimizer.py)."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import torch
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train
from test_estimate_exact import CONFIGS, close, meta_model, shape, with_lora

from engine.estimate.setup import Setup
from engine.estimate.states import states
from engine.knobs.registry import top_level_knobs
from engine.knobs.schedule import Optimizer
from engine.preset import load_preset
from engine.train.muon import param_groups

SHAPES = Path(__file__).resolve().parent / "fixtures" / "axolotl" / "shapes"


def _problems(tmp_path: Path, text: str) -> dict[str, tuple[str, str]]:
    path = tmp_path / "p.yaml"
    path.write_text("base_model: some/model\ndatasets:\n  - path: d.jsonl\n    type: completion\n" + text)
    return {p.key: (p.severity, p.message) for p in load_preset(path).problems}


# ---------------------------------------------------------------- knob and validation


def test_muon_is_an_optimizer_value_and_taught() -> None:
    assert "muon" in typing.get_args(Optimizer)
    [info] = [k for k in top_level_knobs() if k.key == "optimizer"]
    for words in (("muon", "hidden", "AdamW", "A and B"),):
        assert all(w in info.what for w in words), info.what
    assert "one momentum buffer" in info.cost and "0.02" in info.typical
    assert {"deepspeed", "fsdp_config", "adapter"} <= set(info.interacts)


def test_axolotls_muon_pretraining_example_is_accepted() -> None:
    preset = load_preset(SHAPES / "pretrain-c4-muon.yaml")
    assert [p.format() for p in preset.errors] == []
    assert preset.config.optimizer == "muon" and preset.config.learning_rate == 0.02
    assert not [p for p in preset.problems if p.key in ("optimizer", "learning_rate", "fsdp_config")]


def test_muon_refuses_deepspeed_and_fsdp1_saying_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "ds.json").write_text("{}")
    problems = _problems(tmp_path, "optimizer: muon\nlearning_rate: 0.02\ndeepspeed: ds.json\n")
    severity, message = problems["optimizer"]
    assert severity == "error" and "deepspeed" in message and "Remove deepspeed" in message
    problems = _problems(tmp_path, "optimizer: muon\nlearning_rate: 0.02\nfsdp_config:\n  fsdp_version: 1\n")
    severity, message = problems["fsdp_config"]
    assert severity == "error" and "fsdp_version: 2" in message
    for fsdp in ("  fsdp_version: 2\n", "  reshard_after_forward: true\n"):  # transformers 5's default is FSDP2
        assert "fsdp_config" not in _problems(tmp_path, f"optimizer: muon\nlearning_rate: 0.02\nfsdp_config:\n{fsdp}")
    assert "fsdp_config" not in _problems(tmp_path, "fsdp_config:\n  fsdp_version: 1\n")  # only muon needs matrices


def test_an_adamw_sized_rate_and_an_embedding_only_adapter_are_warned(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "optimizer: muon\nlearning_rate: 2.0e-5\n")
    assert problems["learning_rate"][0] == "warning" and "0.01–0.05" in problems["learning_rate"][1]
    assert "learning_rate" not in _problems(tmp_path, "optimizer: muon\nlearning_rate: 0.02\n")
    assert "learning_rate" not in _problems(tmp_path, "learning_rate: 2.0e-5\n")
    problems = _problems(tmp_path, "optimizer: muon\nlearning_rate: 0.02\nadapter: prompt_tuning\n")
    assert problems["optimizer"][0] == "warning" and "plain AdamW" in problems["optimizer"][1]


# ---------------------------------------------------------------- the estimate


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("lora", [False, True])
def test_the_estimate_counts_one_state_for_muon_and_two_for_adamw(name: str, lora: bool) -> None:
    model = with_lora(meta_model(name), 8, "all-linear") if lora else meta_model(name)
    groups = param_groups(model, 0.02, 0.0, [])
    state_bytes = {algorithm: sum(p.numel() for g in groups if g["algorithm"] == algorithm for _, p in g["params"])
                   for algorithm in ("muon", "adamw")}
    setup = Setup(shape(name), weights="bf16", optimizer="muon", adapter="lora" if lora else None, lora_r=8,
                  lora_targets="all-linear")
    per_weight = 4 if lora else 2  # peft keeps LoRA weights in fp32 over a bf16 base
    real = (state_bytes["muon"] + 2 * state_bytes["adamw"]) * per_weight
    assert close(states(setup).optimizer, real), (states(setup).optimizer, real)


# ---------------------------------------------------------------- a real run


@pytest.mark.slow
def test_a_tiny_muon_run_learns_and_its_checkpoint_shows_the_split(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, optimizer="muon", learning_rate=0.02, weight_decay=0.01,
                         max_steps=12, save_strategy="steps", save_steps=12)
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    steps = of_kind(run_dir, "step")
    losses = [s["loss"] for s in steps]
    assert len(losses) == 12 and sum(losses[-3:]) < 0.8 * sum(losses[:3]), losses
    assert "optimizer muon: Muon trains 14 hidden matrices" in log_text(run_dir)

    saved = torch.load(tmp_path / "out" / "checkpoint-12" / "optimizer.pt", weights_only=True)
    by_algorithm: dict[str, list[tuple[str, set[str]]]] = {"muon": [], "adamw": []}
    for group in saved["param_groups"]:
        for name, index in zip(group["param_names"], group["params"], strict=True):
            by_algorithm[group["algorithm"]].append((name, set(saved["state"][index])))
    muon = {name for name, _ in by_algorithm["muon"]}
    assert muon == {f"model.layers.{i}.{part}.weight" for i in range(2) for part in
                    ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")}
    assert {name for name, _ in by_algorithm["adamw"]} == {
        "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
        *(f"model.layers.{i}.{norm}.weight" for i in range(2) for norm in ("input_layernorm",
                                                                         "post_attention_layernorm"))}
    assert all(keys == {"momentum_buffer"} for _, keys in by_algorithm["muon"])
    assert all(keys == {"step", "exp_avg", "exp_avg_sq"} for _, keys in by_algorithm["adamw"])
