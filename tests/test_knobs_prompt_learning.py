"""The prompt-learning adapters' knobs: which adapter reads each, what they cannot go with, and the estimate that
says it does not cover them rather than giving a wrong figure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.knobs import Config
from engine.knobs.registry import top_level_knobs
from engine.knobs.rules import check_rules

REPO = Path(__file__).resolve().parent.parent
BASE = {"base_model": "some/model", "datasets": [{"path": "data.jsonl", "type": "alpaca"}]}


def problems(**values: object) -> dict[str, tuple[str, str]]:
    cfg = Config.model_validate({**BASE, **values})
    return {p.key: (p.severity, p.message) for p in check_rules(cfg)}


@pytest.mark.parametrize("adapter", ["prompt_tuning", "p_tuning", "prefix_tuning"])
def test_each_adapter_needs_no_lora_layers(adapter: str) -> None:
    assert problems(adapter=adapter, num_virtual_tokens=16) == {}


@pytest.mark.parametrize(("values", "key", "severity", "words"), [
    ({"adapter": "prefix_tuning", "sample_packing": True}, "sample_packing", "error", "position ids"),
    ({"adapter": "p_tuning", "load_in_8bit": True}, "load_in_8bit", "error", "unquantized base"),
    ({"adapter": "prompt_tuning", "load_in_4bit": True}, "adapter", "error", "4-bit"),
    ({"adapter": "prefix_tuning", "prompt_tuning_init_text": "Hi"}, "prompt_tuning_init_text", "warning",
     "only adapter prompt_tuning reads it"),
    ({"adapter": "prompt_tuning", "encoder_hidden_size": 64}, "encoder_hidden_size", "warning",
     "only adapter p_tuning reads it"),
    ({"adapter": "lora", "lora_target_linear": True, "num_virtual_tokens": 8}, "num_virtual_tokens", "warning",
     "adapter is lora"),
    ({"adapter": "prompt_tuning", "lora_r": 32}, "lora_r", "warning", "not LoRA layers"),
])
def test_rule(values: dict[str, object], key: str, severity: str, words: str) -> None:
    found = problems(**values)
    assert key in found, found
    assert found[key][0] == severity and words in found[key][1]


@pytest.mark.parametrize("values", [{"num_virtual_tokens": 0}, {"encoder_hidden_size": 0},
                                    {"adapter": "prompt-tuning"}])
def test_out_of_range_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Config.model_validate({**BASE, **values})


def test_the_knobs_are_taught_and_marked_as_tunedecks_own() -> None:
    knobs = {k.key: k for k in top_level_knobs()}
    for key in ("num_virtual_tokens", "prompt_tuning_init_text", "encoder_hidden_size"):
        assert knobs[key].what and knobs[key].cost and knobs[key].typical and not knobs[key].axolotl
    assert "tunedeck's own" in knobs["adapter"].what and "cannot be merged" in knobs["adapter"].what


def test_estimate_says_it_does_not_cover_prompt_tuning() -> None:
    done = subprocess.run([sys.executable, "-m", "tui.cli", "estimate", "presets/tiny-cpu-demo.yaml", "--no-data",
                           "--set", "adapter=prefix_tuning"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "not estimated for prompt tuning" in " ".join(done.stderr.split())


@pytest.mark.parametrize("adapter", ["prompt_tuning", "p_tuning", "prefix_tuning"])
def test_tokens_a_prompt_learning_preset_adds_are_said_to_stay_untrained(adapter: str) -> None:
    severity, message = problems(adapter=adapter, tokens=["<tool>"])["tokens"]
    assert severity == "warning" and "<tool>" in message and "starting embeddings" in message
    assert "adapter: lora" in message and "new_token_init_from" in message
    severity, message = problems(adapter=adapter, special_tokens={"pad_token": "<pad>"})["special_tokens"]
    assert severity == "warning" and "special_tokens the tokenizer lacks" in message
    assert "tokens" not in problems(adapter="lora", lora_target_linear=True, tokens=["<tool>"])


def test_peft_trains_no_embedding_rows_under_prompt_tuning(tiny_model_dir: Path) -> None:
    """Why the rule warns instead of training the rows: peft 0.21's prompt-learning configs have no
    trainable_token_indices, and a modules_to_save copy of the embeddings gets no gradient under prompt_tuning
    (peft embeds the inputs with the frozen layer it captured before wrapping it). If peft changes this, the rows
    could be trained instead of warned about."""
    import dataclasses

    import torch
    from peft import PromptTuningConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    assert "trainable_token_indices" not in {f.name for f in dataclasses.fields(PromptTuningConfig)}
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4,
                                              modules_to_save=["embed_tokens"]))
    ids = torch.tensor([[5, 6, 7, 8]])
    model(input_ids=ids, labels=ids).loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    embedding = [g for name, g in grads.items() if "embed_tokens" in name]
    assert embedding == [None]  # trainable, but never reached by the loss
    assert all(g is not None for name, g in grads.items() if "prompt_encoder" in name)
