"""The estimate's parameter, gradient and optimizer parts against real models built on the meta device with peft.

Small random configs of each described architecture (Llama, a GQA Qwen2 with q/k/v biases, Mistral, Gemma 2 with
tied embeddings and four norms per layer, Qwen3 with q/k norms, Phi-3 with fused projections): transformers builds
them without allocating memory, peft wraps them as engine.train.model would, and the counts must agree within 1%.
"""

from __future__ import annotations

import pytest

from engine.estimate.setup import Setup
from engine.estimate.shapes import shape_from_config
from engine.estimate.states import optimizer_bytes, states, trainable_tensors

CONFIGS = {
    "llama": {"model_type": "llama", "hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 3,
                  "num_attention_heads": 8, "num_key_value_heads": 8, "vocab_size": 1000},
    "qwen2": {"model_type": "qwen2", "hidden_size": 224, "intermediate_size": 608, "num_hidden_layers": 2,
                  "num_attention_heads": 7, "num_key_value_heads": 1, "vocab_size": 1200, "tie_word_embeddings": True},
    "mistral": {"model_type": "mistral", "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
                    "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 900},
    "gemma2": {"model_type": "gemma2", "hidden_size": 192, "intermediate_size": 512, "num_hidden_layers": 2,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "vocab_size": 1500},
    "qwen3": {"model_type": "qwen3", "hidden_size": 192, "intermediate_size": 384, "num_hidden_layers": 2,
                  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 800},
    "phi3": {"model_type": "phi3", "hidden_size": 192, "intermediate_size": 512, "num_hidden_layers": 2,
                 "num_attention_heads": 6, "num_key_value_heads": 2, "vocab_size": 700, "pad_token_id": 0},
}


def meta_model(name: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    values = dict(CONFIGS[name])
    config = AutoConfig.for_model(values.pop("model_type"), **values)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)


def with_lora(model, r: int, targets):
    from peft import LoraConfig, get_peft_model

    return get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules=targets, task_type="CAUSAL_LM"))


def shape(name: str):
    return shape_from_config(dict(CONFIGS[name]), name)


def close(estimated: float, real: float) -> bool:
    return abs(estimated - real) <= 0.01 * real


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_full_fine_tune_parameters_gradients_and_adamw_states(name: str) -> None:
    model = meta_model(name)
    real = sum(p.numel() for p in model.parameters())  # tied weights are one Parameter: counted once
    real_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    st = states(Setup(shape(name), weights="bf16"))
    assert close(st.total_params, real), (st.total_params, real)
    assert close(st.weights, real_bytes)
    assert close(st.gradients, real_bytes)  # one gradient per parameter, same dtype
    assert close(st.optimizer, 2 * real_bytes)  # torch AdamW: exp_avg + exp_avg_sq like the parameter


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("targets", ["all-linear", None, ["q_proj", "down_proj", "qkv_proj"], r".*\.1\..*_proj"])
def test_lora_trainable_parameters_match_peft(name: str, targets) -> None:
    try:
        model = with_lora(meta_model(name), 8, targets)
    except ValueError:  # e.g. q_proj on Phi-3: peft refuses, and so must the estimate find nothing
        assert Setup(shape(name), adapter="lora", lora_r=8,
                     lora_targets=tuple(targets) if isinstance(targets, list) else targets).lora_modules() == []
        return
    real = sum(p.numel() for p in model.parameters() if p.requires_grad)
    setup = Setup(shape(name), adapter="lora", lora_r=8,
                  lora_targets=tuple(targets) if isinstance(targets, list) else targets)
    st = states(setup)
    assert st.trainable_params == real, (st.trainable_params, real)
    fp32 = 4 * real  # peft keeps LoRA weights in fp32 over a bf16 base
    assert close(st.gradients, fp32) and close(st.optimizer, 2 * fp32)


def test_lora_shapes_are_the_real_tensors() -> None:
    """Exact A/B shapes, which the 8-bit optimizers' 4096-element rule and Adafactor depend on."""
    model = with_lora(meta_model("qwen2"), 16, "all-linear")
    real = sorted(tuple(p.shape) for p in model.parameters() if p.requires_grad)
    assert sorted(trainable_tensors(Setup(shape("qwen2"), adapter="lora", lora_r=16, lora_targets="all-linear"))) \
        == real


def test_eight_bit_and_adafactor_states_follow_tensor_shapes() -> None:
    tensors = [(16, 224), (224, 16), (100,)]  # two LoRA matrices of 3584 elements (< 4096: kept 32-bit), a bias
    assert optimizer_bytes("adamw_8bit", tensors, 4) == 2 * 4 * (3584 * 2 + 100)
    big = [(64, 4096)]
    assert optimizer_bytes("paged_adamw_8bit", big, 4) == 2 * 64 * 4096 * (1 + 4 / 256)  # uint8 + absmax/256
    assert optimizer_bytes("adafactor", [(64, 4096), (10,)], 4) == 4 * (64 + 4096) + 4 * 10
    assert optimizer_bytes("sgd", big, 4) == 0
