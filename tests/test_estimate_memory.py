"""The memory estimate's properties, model shapes from config.json, and bad input giving no estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.estimate.memory import estimate_memory
from engine.estimate.setup import Setup, Sharding
from engine.estimate.shapes import (
    ShapeError,
    bundled_config,
    resolve_shape,
    shape_from_config,
)

LLAMA3 = shape_from_config(bundled_config("meta-llama/Llama-3.1-8B"), "llama")
QWEN = shape_from_config(bundled_config("Qwen/Qwen2.5-0.5B"), "qwen")
BASES = [
    Setup(LLAMA3, micro_batch=2, sequence_len=2048, adapter="lora", lora_r=16, lora_targets="all-linear"),
    Setup(LLAMA3, micro_batch=1, sequence_len=4096, adapter="qlora", quant_bits=4, gradient_checkpointing=True),
    Setup(QWEN, micro_batch=4, sequence_len=1024, attn="eager"),
]


def expected(setup: Setup) -> float:
    return estimate_memory(setup).expected


@pytest.mark.parametrize("base", BASES)
def test_monotone_in_micro_batch_sequence_length_and_rank(base: Setup) -> None:
    for a, b in ((1, 2), (2, 3), (3, 8)):
        assert expected(base.but(micro_batch=a)) < expected(base.but(micro_batch=b))
    for a, b in ((256, 512), (512, 4096), (4096, 4097)):
        assert expected(base.but(sequence_len=a)) < expected(base.but(sequence_len=b))
    if base.adapter:
        for a, b in ((4, 8), (8, 64)):
            assert expected(base.but(lora_r=a)) < expected(base.but(lora_r=b))


@pytest.mark.parametrize("base", BASES)
def test_checkpointing_and_quantization_lower_it(base: Setup) -> None:
    assert expected(base.but(gradient_checkpointing=True)) < expected(base.but(gradient_checkpointing=False))
    lora = base.but(adapter="lora", quant_bits=None, lora_targets="all-linear")
    assert expected(lora.but(adapter="qlora", quant_bits=8)) < expected(lora)
    assert expected(lora.but(adapter="qlora", quant_bits=4)) < expected(lora.but(adapter="qlora", quant_bits=8))
    assert expected(lora) < expected(lora.but(adapter=None))  # an adapter trains far fewer weights


def test_zero3_divides_the_states_by_the_processes() -> None:
    full = Setup(LLAMA3, micro_batch=1, sequence_len=1024, gradient_checkpointing=True, processes=8)
    plain, zero3 = estimate_memory(full), estimate_memory(full.but(sharding=Sharding(3)))
    for part in ("gradients", "optimizer"):
        assert zero3.parts[part] == pytest.approx(plain.parts[part] / 8)
    layer = plain.parts["weights"] / LLAMA3.layers  # stage 3 also holds the layers being gathered
    assert plain.parts["weights"] / 8 < zero3.parts["weights"] <= plain.parts["weights"] / 8 + 2 * layer
    zero2 = estimate_memory(full.but(sharding=Sharding(2)))
    assert zero2.parts["weights"] == plain.parts["weights"] and zero2.parts["gradients"] < plain.parts["gradients"]
    four = estimate_memory(full.but(processes=4, sharding=Sharding(3)))
    assert zero3.parts["optimizer"] < four.parts["optimizer"]
    offload = estimate_memory(full.but(sharding=Sharding(3, offload_optimizer=True)))
    assert "optimizer" not in offload.parts


def test_the_parts_add_up_to_the_band() -> None:
    e = estimate_memory(BASES[0])
    assert e.low < e.expected < e.high
    assert sum(e.parts.values()) == pytest.approx(e.expected)


def test_preference_tuning_counts_a_reference_copy_only_for_a_full_fine_tune() -> None:
    full = Setup(QWEN, micro_batch=1, sequence_len=1024)
    dpo = estimate_memory(full.but(preference=True))
    assert dpo.parts["reference_model"] == pytest.approx(estimate_memory(full).parts["weights"])
    lora = full.but(adapter="lora", lora_targets="all-linear")
    assert "reference_model" not in estimate_memory(lora.but(preference=True)).parts
    assert expected(lora.but(preference=True)) > expected(lora)  # chosen + rejected: twice the tokens


def test_gqa_keeps_fewer_key_value_activations() -> None:
    mha = shape_from_config({**bundled_config("meta-llama/Llama-3.1-8B"), "num_key_value_heads": 32}, "mha")
    assert expected(BASES[0]) < expected(BASES[0].but(shape=mha))


def write_config(folder: Path, **config) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_shapes_come_from_a_local_folder_then_the_hub_cache_then_the_table(tmp_path: Path, monkeypatch) -> None:
    local = write_config(tmp_path / "model", **{**bundled_config("Qwen/Qwen2.5-0.5B"), "num_hidden_layers": 3})
    assert resolve_shape(str(local)).layers == 3
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    repo = cache / "models--someone--tiny"
    write_config(repo / "snapshots" / "abc123", **{**bundled_config("Qwen/Qwen2.5-0.5B"), "num_hidden_layers": 5})
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    assert resolve_shape("someone/tiny").layers == 5
    assert resolve_shape("meta-llama/meta-llama-3-8b-instruct").vocab == 128256  # an alias, any case


def test_unknown_model_offline_gives_a_message_and_no_estimate(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(ShapeError, match=r"huggingface-cli download someone/unknown-7b config\.json"):
        resolve_shape("someone/unknown-7b", download=True)  # HF_HUB_OFFLINE is set by conftest: no network


@pytest.mark.parametrize(("config", "message"), [
    ({"model_type": "mamba", "hidden_size": 8}, "model_type mamba is not among"),
    ({**bundled_config("mistralai/Mistral-7B-v0.1"), "num_local_experts": 8}, "mixture-of-experts"),
    ({"model_type": "llama", "hidden_size": 8}, "lacks 'num_attention_heads'"),
    ({"model_type": "gemma3", "text_config": {}, "vision_config": {}}, "multimodal"),
])
def test_architectures_not_described_are_refused(config: dict, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        shape_from_config(config, "x")


def test_a_config_json_that_cannot_be_read_names_the_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text('{\n  "model_type": "llama",\n  "hidden_size": ,\n}')
    with pytest.raises(ShapeError, match=r"broken/config.json:3: config.json is not valid JSON"):
        resolve_shape(str(folder))
    (folder / "config.json").unlink()
    with pytest.raises(ShapeError, match=r"has no config\.json"):
        resolve_shape(str(folder))
