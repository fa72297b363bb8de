"""The estimate of a reward model (reward_model: true) against the real model engine.train builds: the base with a
one-output score head (AutoModelForSequenceClassification) instead of the LM head, built on the meta device from
small random configs (an untied Llama, a tied Qwen2, Gemma 2 with four norms, Phi-3 fused). Its parameters, trained
tensors (full, and LoRA of task SEQ_CLS with its trained copy of the head) must be the real ones; its activations
hold no vocabulary-sized logits, and every row is a pair (chosen and rejected in one batch)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_estimate_exact import CONFIGS, shape

from engine.estimate.activations import activations
from engine.estimate.memory import estimate_memory
from engine.estimate.setup import Setup
from engine.estimate.states import states, trainable_tensors
from engine.knobs import Config

NAMES = ("gemma2", "llama", "phi3", "qwen2")


def reward_meta_model(name: str):
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    values = dict(CONFIGS[name])
    config = AutoConfig.for_model(values.pop("model_type"), **values, num_labels=1)
    with torch.device("meta"):
        return AutoModelForSequenceClassification.from_config(config, dtype=torch.bfloat16)


def reward_shape(name: str):
    return replace(shape(name), score_head=True)


@pytest.mark.parametrize("name", NAMES)
def test_a_full_reward_model_counts_the_score_head_not_the_lm_head(name: str) -> None:
    model = reward_meta_model(name)
    real = sum(p.numel() for p in model.parameters())
    setup = Setup(reward_shape(name), weights="bf16")
    st = states(setup)
    assert st.total_params == st.trainable_params == real, (st.total_params, real)
    assert sorted(trainable_tensors(setup)) == sorted(tuple(p.shape) for p in model.parameters())
    assert st.weights == 2 * real
    s = shape(name)
    lm_head = 0 if s.tied_embeddings else s.vocab * s.hidden
    assert states(Setup(s)).total_params - real == lm_head - s.hidden  # the causal LM's: its LM head, no score


@pytest.mark.parametrize("name", NAMES)
def test_a_lora_reward_model_trains_the_adapter_and_a_copy_of_the_score_head(name: str) -> None:
    from peft import get_peft_model

    from engine.train.model import lora_config

    cfg = Config(base_model="x", datasets=[{"path": "d.jsonl", "type": "bradley_terry.chat_template"}],
                 reward_model=True, adapter="lora", lora_r=8, lora_target_linear=True)
    model = get_peft_model(reward_meta_model(name), lora_config(cfg))
    trained = sorted(tuple(p.shape) for p in model.parameters() if p.requires_grad)
    setup = Setup(reward_shape(name), adapter="lora", lora_r=8, lora_targets="all-linear")
    assert sorted(trainable_tensors(setup)) == trained
    assert states(setup).total_params == sum(p.numel() for p in model.parameters())  # frozen head + its copy


def test_a_reward_model_keeps_no_vocabulary_logits_and_pairs_its_rows() -> None:
    lm = Setup(shape("llama"), micro_batch=2, sequence_len=256)
    reward = lm.but(shape=reward_shape("llama"))
    assert reward.tokens == 2 * lm.tokens  # chosen and rejected of each pair, in one forward
    assert activations(reward).logits == 2 * reward.tokens  # one bf16 score per token
    assert activations(lm).logits == 12 * 1000 * lm.tokens  # the LM's fp32 logits over its vocabulary
    assert activations(reward).layers == 2 * activations(lm).layers
    assert estimate_memory(reward).parts["logits"] < 1e-4


def test_the_preset_estimate_reads_reward_model(tmp_path: Path) -> None:
    from engine.estimate.from_preset import setup_from_config

    (tmp_path / "config.json").write_text(json.dumps(CONFIGS["llama"]))
    base = {"base_model": str(tmp_path), "datasets": [{"path": "d.jsonl", "type": "bradley_terry.chat_template"}]}
    setup = setup_from_config(Config(**base, reward_model=True))
    assert setup.shape.score_head and setup.sequences_per_row == 2
    assert states(setup).total_params == sum(p.numel() for p in reward_meta_model("llama").parameters())
    assert not setup_from_config(Config(**{**base, "datasets": [{"path": "d.jsonl"}]})).shape.score_head
