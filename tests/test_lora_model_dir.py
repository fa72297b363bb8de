"""lora_model_dir: an adapter trained before (a folder with adapter_config.json) is loaded and trained further. Its
own config chooses the layers, so no lora_target_* is needed; an imported turbo-alignment DPO config that starts
from its adapter_path validates, evaluates on its val_dataset_settings pairs (test_datasets), and trains that
adapter for real on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from _data_helpers import write_jsonl
from _import_helpers import turbo_sft, write_json
from _train_helpers import log_text, make_run_dir, of_kind, run_train

from engine.errors import TunedeckError
from engine.importers import import_config
from engine.knobs import Config
from engine.knobs.rules import check_rules
from engine.preset import Preset

CONTEXT = [{"role": "user", "content": "hi"}]
TARGETS = {"o_proj", "down_proj"}  # not peft's default for Llama (q_proj, v_proj): a new adapter would differ


def _pairs(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": str(i), "context": CONTEXT, "answer_w": {"role": "bot", "content": f"fine, thanks {i}"},
             "answer_l": {"role": "bot", "content": f"go away {i}"}} for i in range(start, start + n)]


def _trained_adapter(model_dir: Path, out: Path) -> dict[str, Any]:
    """A LoRA adapter saved by peft, with random A and B (as a trained one has), and its tensors."""
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=sorted(TARGETS), init_lora_weights=False,
                        task_type="CAUSAL_LM")
    get_peft_model(model, config).save_pretrained(out)
    return load_file(out / "adapter_model.safetensors")


def _turbo_dpo(tmp_path: Path, model: Path, adapter: str) -> dict[str, Any]:
    config = turbo_sft(str(write_jsonl(tmp_path / "train.jsonl", _pairs(4))), model=str(model),
                       dataset_type="pair_preferences", max_tokens_count=128)
    del config["model_settings"]["peft_settings"]
    config["model_settings"]["adapter_path"] = adapter
    config["val_dataset_settings"] = {**config["train_dataset_settings"], "sources": [
        {"name": "held", "records_path": str(write_jsonl(tmp_path / "val.jsonl", _pairs(2, start=4)))}]}
    config["trainer_settings"].update(per_device_train_batch_size=2, gradient_accumulation_steps=1, max_steps=2,
                                      learning_rate=0.01, eval_strategy="steps", eval_steps=1)
    config["log_path"] = str(tmp_path / "out")
    return config


def test_an_adapter_from_lora_model_dir_needs_no_layers_chosen() -> None:
    def errors(**values: Any) -> list[str]:
        cfg = Config(base_model="org/model", datasets=[{"path": "d.jsonl"}], adapter="lora", **values)
        return [p.message for p in check_rules(cfg) if p.key == "adapter" and p.severity == "error"]

    assert errors(lora_model_dir="outputs/sft") == []
    assert errors() and "no layers are chosen" in errors()[0] and "lora_model_dir" in errors()[0]


def test_knobs_that_shape_a_new_adapter_are_named_as_not_read_beside_lora_model_dir() -> None:
    """lora_r, lora_alpha, … set beside lora_model_dir are warned about, each on its own key, instead of being
    ignored in silence; so are added tokens, whose embeddings the continued adapter may not train."""
    def warnings(**values: Any) -> dict[str, str]:
        cfg = Config(base_model="org/model", datasets=[{"path": "d.jsonl"}], adapter="lora", **values)
        return {p.key: p.message for p in check_rules(cfg) if p.severity == "warning"}

    shaped = {"lora_r": 32, "lora_alpha": 64, "lora_dropout": 0.1, "lora_target_modules": ["q_proj"],
              "lora_target_linear": True}
    found = warnings(lora_model_dir="outputs/sft", **shaped)
    for key in shaped:
        assert "is not read" in found[key] and "adapter_config.json" in found[key]
    assert "tokens" not in found
    assert "stay as initialised" in warnings(lora_model_dir="outputs/sft", tokens=["<tool>"])["tokens"]
    # Without lora_model_dir they shape the new adapter, and nothing is said.
    assert not set(shaped) & set(warnings(**shaped))
    assert "lora_r" not in warnings(lora_model_dir="outputs/sft")  # left at its default: nothing to say


def test_the_launch_writes_lora_model_dir_out_in_full(tmp_path: Path, tiny_model_dir: Path) -> None:
    """RUN/preset.yaml sits in another folder: an adapter named beside the preset must still be found."""
    from engine.runs.launch import resolve

    (tmp_path / "sft").mkdir()
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "a fact"}])
    preset = tmp_path / "p.yaml"
    preset.write_text(yaml.safe_dump({"base_model": str(tiny_model_dir), "adapter": "lora", "lora_model_dir": "sft",
                                      "datasets": [{"path": str(data), "type": "completion"}],
                                      "output_dir": str(tmp_path / "out")}))
    assert yaml.safe_load(resolve(preset).text)["lora_model_dir"] == str(tmp_path / "sft")


def test_a_folder_without_an_adapter_is_refused_naming_lora_model_dir(tmp_path: Path, tiny_model_dir: Path) -> None:
    from engine.train.model import trained_adapter

    cfg = Config(base_model=str(tiny_model_dir), datasets=[{"path": "d.jsonl"}], adapter="lora",
                 lora_model_dir=str(tmp_path))
    with pytest.raises(TunedeckError) as err:
        trained_adapter(cfg)
    assert err.value.key == "lora_model_dir" and "has no adapter_config.json" in str(err.value)


def test_turbo_alignment_dpo_trains_the_adapter_it_starts_from(tmp_path: Path, tiny_model_dir: Path) -> None:
    from safetensors.torch import load_file

    saved = _trained_adapter(tiny_model_dir, tmp_path / "sft-adapter")
    imported = import_config(write_json(tmp_path / "dpo.json", _turbo_dpo(tmp_path, tiny_model_dir,
                                                                          str(tmp_path / "sft-adapter"))))
    preset = Preset(imported.text, tmp_path / "preset.yaml")
    assert [p.format() for p in preset.problems if p.severity == "error"] == []  # was: no layers are chosen
    assert preset.config.rl == "dpo" and preset.config.lora_model_dir == str(tmp_path / "sft-adapter")
    assert [ds.path for ds in preset.config.test_datasets] == [str(tmp_path / "val.jsonl")]

    run_dir = make_run_dir(tmp_path, yaml.safe_load(imported.text) | {"save_strategy": "no"})
    result = run_train(run_dir, timeout=600)
    assert result.returncode == 0, log_text(run_dir)[-3000:]
    assert len(of_kind(run_dir, "step")) == 2
    evals = of_kind(run_dir, "eval")
    assert len(evals) == 2  # on the 2 held-out pairs of val_dataset_settings
    assert {"eval_rewards_accuracy", "eval_rewards_margin", "eval_rewards_chosen"} <= set(evals[-1])
    out = tmp_path / "out"
    config = json.loads((out / "adapter_config.json").read_text())
    assert set(config["target_modules"]) == TARGETS and config["r"] == 4  # the loaded adapter's, not a new one
    # (beside the LoRA tensors peft saves the embeddings, resized for the tokens the config adds)
    trained = {k: v for k, v in load_file(out / "adapter_model.safetensors").items() if ".lora_" in k}
    assert trained.keys() == saved.keys()
    moved = [name for name in saved if not (trained[name] == saved[name]).all()]
    assert moved == list(saved)  # every A and B trained on from the loaded values
    for name in saved:  # ... near them (a new adapter's B would start at zero)
        assert (trained[name] - saved[name]).abs().max() < 0.5 * saved[name].abs().max()
