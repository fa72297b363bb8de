"""``--set key=value``: typed by the knob, dataset entries, did-you-mean, bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest
from _preset_helpers import write

from engine.errors import TunedeckError
from engine.preset import apply_override, load_preset


@pytest.fixture
def preset(tmp_path: Path):
    return load_preset(write(tmp_path))


@pytest.mark.parametrize("override, key, expected", [
    ("micro_batch_size=4", "micro_batch_size", 4),
    ("bf16=auto", "bf16", "auto"),
    ("bf16=false", "bf16", False),
    ("learning_rate=1e-4", "learning_rate", 1e-4),
    ("num_epochs=2", "num_epochs", 2),
    ("lora_target_modules=[q_proj,v_proj]", "lora_target_modules", ["q_proj", "v_proj"]),
    ("base_model=123", "base_model", "123"),  # text knobs keep digits as text
    ("datasets.0.path=x.jsonl", "datasets.0.path", "x.jsonl"),
    ("wandb_project = my project", "wandb_project", "my project"),
])
def test_values_are_typed_by_the_knob(preset, override: str, key: str, expected: object) -> None:
    apply_override(preset, override)
    value = preset.get(key)
    assert value == expected and type(value) is type(expected)


def test_typed_values_are_written_as_yaml_types(preset) -> None:
    apply_override(preset, "micro_batch_size=4")
    apply_override(preset, "base_model=123")
    out = preset.to_yaml()
    assert "micro_batch_size: 4 " in out
    assert 'base_model: "123"' in out  # kept the file's quoting, and a number-looking text stays text
    assert preset.config.base_model == "123"


def test_next_dataset_index_is_created(preset) -> None:
    apply_override(preset, "datasets.2.path=more.jsonl")
    apply_override(preset, "datasets.2.type=completion")
    assert preset.config.datasets[2].path == "more.jsonl"
    with pytest.raises(TunedeckError, match=r"datasets\.3"):
        apply_override(preset, "datasets.5.type=completion")


def test_null_removes_the_key(preset) -> None:
    apply_override(preset, "warmup_steps=null")
    assert preset.get("warmup_steps") is None
    assert "warmup_steps" not in preset.to_yaml()


@pytest.mark.parametrize("override, words", [
    ("micro_batchsize=4", "did you mean 'micro_batch_size'"),
    ("datasets.0.feild=text", "did you mean 'datasets.0.field'"),
    ("lora_fan_in_fan_out=x", "Axolotl key"),
    ("no_such_thing_at_all=1", "unknown key"),
    ("micro_batch_size", "key=value"),
])
def test_unknown_keys_are_refused(preset, override: str, words: str) -> None:
    with pytest.raises(TunedeckError) as err:
        apply_override(preset, override)
    assert words in str(err.value)
    assert override.split("=")[0] in str(err.value)


@pytest.mark.parametrize("override, words", [
    ("micro_batch_size=four", "whole number"),
    ("micro_batch_size=0", "≥ 1"),
    ("lr_scheduler=cosyne", "one of"),
    ("lora_dropout=abc", "number"),
    ("bf16=maybe", "true or false"),
])
def test_bad_values_name_the_override(preset, override: str, words: str) -> None:
    with pytest.raises(TunedeckError) as err:
        apply_override(preset, override)
    message = str(err.value)
    assert f"--set '{override}'" in message and words in message


def test_set_keeps_a_bad_value_for_the_editor(preset) -> None:
    preset.set("micro_batch_size", "four")
    assert preset.get("micro_batch_size") == "four"
    assert any(p.key == "micro_batch_size" for p in preset.errors)
    preset.set("micro_batch_size", "6")  # text typed in a box becomes the knob's type
    assert preset.get("micro_batch_size") == 6 and preset.ok


def test_get_walks_paths(preset) -> None:
    assert preset.get("datasets.0") == {"path": "presets/tiny/chat.jsonl", "type": "chat_template",
                                        "roles_to_train": ["assistant"]}
    assert preset.get("datasets.9.path", "none") == "none"
    assert preset.get("lora_target_modules.1") == "v_proj"
    assert preset.get("revision_of_model") == preset.get("model_revision") == "main"
    assert preset.get("weight_decay") is None and preset.get("weight_decay", 0.5) == 0.5
