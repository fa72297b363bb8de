"""The memory estimate of a preference preset: the pairs and the reference model its rl method runs
(engine.estimate.from_preset). The preset path never said rl, so a full-fine-tune DPO was estimated without its
frozen reference copy, and every method without its pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.estimate.from_preset import setup_from_config
from engine.estimate.memory import estimate_memory
from engine.knobs.config import Config

LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, "intermediate_size": 688,
         "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
         "max_position_embeddings": 512, "tie_word_embeddings": False}
PAIRS = {"path": "d.jsonl", "type": "chatml.intel"}


def _setup(tmp_path: Path, rl: str | None, **knobs: object):
    (tmp_path / "config.json").write_text(json.dumps(LLAMA))
    data = [{"path": "d.jsonl", "type": "chat_template"}] if rl is None else [PAIRS]
    return setup_from_config(Config(base_model=str(tmp_path), datasets=data, rl=rl, **knobs))


@pytest.mark.parametrize(("rl", "pairs", "reference"), [
    (None, False, False), ("dpo", True, True), ("ipo", True, True), ("orpo", True, False), ("simpo", True, False),
    ("kto", False, True),
])
def test_each_method_brings_its_pairs_and_reference(tmp_path: Path, rl: str | None, pairs: bool,
                                                      reference: bool) -> None:
    setup = _setup(tmp_path, rl)
    assert setup.sequences_per_row == (2 if pairs else 1)
    parts = estimate_memory(setup).parts
    # a full fine-tune keeps a frozen copy of the weights as the reference
    assert (parts.get("reference_model", 0.0) > 0) is reference
    if reference:
        assert parts["reference_model"] == pytest.approx(parts["weights"])


def test_with_an_adapter_the_reference_is_the_base_and_costs_no_copy(tmp_path: Path) -> None:
    setup = _setup(tmp_path, "dpo", adapter="lora", lora_target_linear=True)
    assert setup.sequences_per_row == 2 and estimate_memory(setup).parts.get("reference_model", 0.0) == 0.0
    sft = _setup(tmp_path, None, adapter="lora", lora_target_linear=True)
    assert estimate_memory(setup).expected > estimate_memory(sft).expected  # twice the tokens per row
