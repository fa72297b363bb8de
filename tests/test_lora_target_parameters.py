"""lora_target_parameters (LoRA on parameter tensors such as fused MoE experts): the knob's own checks, the rules
peft's ParamWrapper imposes, the peft config the engine builds, the launch-time check against a real model, and
the estimate's count of the parameters it trains."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.errors import TunedeckError
from engine.knobs import Config
from engine.knobs.rules import check_rules

EXPERTS = ["experts.gate_up_proj", "experts.down_proj"]


def make(**values) -> Config:
    return Config(**{"base_model": "org/moe", "datasets": [{"path": "data.jsonl"}], **values})


def problems(**values) -> dict[str, tuple[str, str]]:
    return {p.key: (p.severity, p.message) for p in check_rules(make(**values))}


@pytest.mark.parametrize(("value", "words"), [
    ([], "empty list"),
    (["experts.down_proj", " "], "empty name"),
    (["model.layers.[\\d]+.experts.down_proj"], "looks like a regex"),
    ([".*experts.*"], "exactly or by their dotted ending"),
])
def test_bad_names_are_refused_with_what_to_write(value: list[str], words: str) -> None:
    with pytest.raises(ValidationError) as err:
        make(adapter="lora", lora_target_parameters=value)
    assert "lora_target_parameters" in str(err.value) and words in str(err.value)


def test_one_name_as_text_is_read_as_axolotl_reads_it() -> None:
    from engine.knobs.adapter import target_parameter_names

    cfg = make(adapter="lora", lora_target_parameters="mlp.experts.down_proj")
    assert target_parameter_names(cfg.lora_target_parameters) == ["mlp.experts.down_proj"]
    assert problems(adapter="lora", lora_target_parameters="mlp.experts.down_proj") == {}


def test_an_adapter_on_parameters_alone_chooses_something() -> None:
    assert problems(adapter="lora", lora_target_parameters=EXPERTS) == {}
    # Still an error when nothing at all is chosen, and the message now names the third way.
    severity, message = problems(adapter="lora")["adapter"]
    assert severity == "error" and "lora_target_parameters" in message


def test_dropout_is_refused_as_peft_refuses_it() -> None:
    severity, message = problems(adapter="lora", lora_target_parameters=EXPERTS, lora_dropout=0.05)["lora_dropout"]
    assert severity == "error" and "lora_dropout: 0" in message
    assert "lora_dropout" not in problems(adapter="lora", lora_target_linear=True, lora_dropout=0.05)


def test_a_layer_weight_under_quantization_is_warned_with_the_layer_to_name_instead() -> None:
    found = problems(adapter="qlora", load_in_4bit=True, lora_target_parameters=["self_attn.q_proj.weight"])
    severity, message = found["lora_target_parameters"]
    assert severity == "warning" and "load_in_4bit" in message and "lora_target_modules (self_attn.q_proj)" in message
    assert problems(adapter="qlora", load_in_4bit=True, lora_target_parameters=EXPERTS) == {}


@pytest.mark.parametrize(("adapter", "words"), [(None, "only matter with an adapter"),
                                                ("prompt_tuning", "trains virtual tokens")])
def test_it_is_unread_without_a_lora_adapter(adapter: str | None, words: str) -> None:
    severity, message = problems(adapter=adapter, lora_target_parameters=EXPERTS)["lora_target_parameters"]
    assert severity == "warning" and words in message


def test_the_peft_config_targets_the_tensors_and_no_default_layers() -> None:
    from engine.train.model import lora_config

    alone = lora_config(make(adapter="lora", lora_target_parameters=EXPERTS))
    assert sorted(alone.target_parameters) == sorted(EXPERTS)
    assert not alone.target_modules  # [] : None would let peft add q_proj/v_proj on its own
    both = lora_config(make(adapter="lora", lora_target_modules=["q_proj"], lora_target_parameters="experts.down_proj"))
    assert list(both.target_modules) == ["q_proj"] and list(both.target_parameters) == ["experts.down_proj"]
    assert lora_config(make(adapter="lora", lora_target_linear=True)).target_parameters is None


def test_the_launch_check_names_the_knob_and_the_model_s_expert_tensors(tiny_moe_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    from engine.train.lora_parameters import check_target_parameters, matched_parameters

    model = AutoModelForCausalLM.from_pretrained(tiny_moe_dir)
    assert sorted(matched_parameters(model, ["experts.down_proj"])) == [
        "model.layers.0.mlp.experts.down_proj", "model.layers.1.mlp.experts.down_proj"]
    check_target_parameters(model, EXPERTS)
    with pytest.raises(TunedeckError) as err:
        check_target_parameters(model, ["experts.down_proj", "experts.w1"])
    assert err.value.key == "lora_target_parameters"
    assert "experts.w1 matches no parameter" in str(err.value) and "mlp.experts.gate_up_proj" in str(err.value)
    with pytest.raises(TunedeckError, match="1-D tensor"):
        check_target_parameters(model, ["input_layernorm.weight"])


def test_a_quantized_tensor_is_refused_at_launch() -> None:
    import torch

    from engine.train.lora_parameters import check_target_parameters

    experts = torch.nn.Module()
    experts.packed = torch.nn.Parameter(torch.zeros(4, 8, 8, dtype=torch.uint8), requires_grad=False)
    model = torch.nn.Sequential(experts)
    with pytest.raises(TunedeckError, match="stored quantized"):
        check_target_parameters(model, ["packed"])


def test_the_estimate_counts_what_peft_trains_on_named_weights(tmp_path: Path) -> None:
    import json

    import torch
    from peft import get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    from engine.estimate.from_preset import setup_from_config
    from engine.estimate.states import states
    from engine.train.model import lora_config

    values = {"hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "vocab_size": 500}
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", **values}))
    cfg = make(base_model=str(tmp_path), adapter="lora", lora_r=4,
               lora_target_parameters=["self_attn.k_proj.weight", "mlp.down_proj.weight"])
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model("llama", **values))
    real = get_peft_model(model, lora_config(cfg))
    trained = sum(p.numel() for p in real.parameters() if p.requires_grad)
    assert trained == 2 * (4 * (128 + 64) + 4 * (344 + 128))  # per layer: k_proj 128→64, down_proj 344→128
    assert states(setup_from_config(cfg)).trainable_params == trained
