"""SiloGen import of what decides the rows and their labels: PRECOMPUTE_WEIGHTED_MIX onto dataset_mixing: weighted
(sampling_weight, its seed), every chat_template_name onto tunedeck's template of the same text, and SiloGen's
every-token learning (train_on_completions_only false) onto train_on_inputs (approximated: not the role markers).
A converted weighted mix with the poro template prepares SiloGen's rows and trains the tiny model."""

from __future__ import annotations

import pytest
import yaml
from _data_helpers import prepare, tokenizer_for, trained_text, write_jsonl
from _import_helpers import SILOGEN_SFT
from _train_helpers import log_text, make_run_dir, of_kind, run_train

from engine.errors import TunedeckError
from engine.importers import import_config
from engine.preset import Preset

MIX = """\
  training_data:
    type: PRECOMPUTE_WEIGHTED_MIX
    datasets:
      - path: "{a}"
        sampling_weight: 1.0
      - path: "{b}"
        sampling_weight: 0.5
  validation_data:
    type: NONE
"""


def _source(tmp_path, template="poro", mix=MIX, **paths):
    text = SILOGEN_SFT.format(data="unused.jsonl", out=tmp_path / "out", model=paths.pop("model", "m"))
    head, _, rest = text.partition("  training_data:\n")
    rest = rest[rest.index("batchsize_conf:"):]
    text = head.replace('"chat-ml"', f'"{template}"') + mix.format(a=paths.get("a", "a.jsonl"),
                                                                  b=paths.get("b", "b.jsonl")) + rest
    src = tmp_path / "sft.yaml"
    src.write_text(text)
    return src


def statuses(report):
    return {e.source: (e.status, e.target) for e in report.entries}


def test_weighted_mix_maps_exactly(tmp_path):
    imported = import_config(_source(tmp_path))
    got = statuses(imported.report)
    assert got["data_conf.training_data.type"] == ("exact", "dataset_mixing")
    assert got["data_conf.training_data.datasets.1.sampling_weight"] == ("exact", "datasets[].sampling_weight")
    assert got["data_conf.training_data.seed"] == ("exact", "dataset_mixing_seed")
    assert not [e for e in imported.report.of("not carried over") if "training_data" in e.source]
    p = imported.preset
    assert (p["dataset_mixing"], p["dataset_mixing_seed"]) == ("weighted", 19851243)  # SiloGen's default mix seed
    assert "sampling_weight" not in p["datasets"][0] and p["datasets"][1]["sampling_weight"] == 0.5


def test_mix_seed_weight_zero_and_equal_weights(tmp_path):
    mix = MIX.replace("    type: PRECOMPUTE_WEIGHTED_MIX\n", "    type: PRECOMPUTE_WEIGHTED_MIX\n    seed: 5\n")
    assert import_config(_source(tmp_path, mix=mix)).preset["dataset_mixing_seed"] == 5
    skipped = import_config(_source(tmp_path, mix=MIX.replace("0.5", "0")))
    assert [d["path"] for d in skipped.preset["datasets"]] == ["a.jsonl"]  # SiloGen skips a source of weight 0
    assert "dataset_mixing" not in skipped.preset  # one source left: its rows once
    assert statuses(skipped.report)["data_conf.training_data.datasets.1"][0] == "not carried over"
    equal = import_config(_source(tmp_path, mix=MIX.replace("1.0", "0.5")))
    assert statuses(equal.report)["data_conf.training_data.type"] == ("approximated", "dataset_mixing")
    ones = import_config(_source(tmp_path, mix=MIX.replace("0.5", "1.0")))  # SiloGen's round robin: turns
    assert statuses(ones.report)["data_conf.training_data.type"] == ("exact", "dataset_mixing")
    with pytest.raises(TunedeckError, match=r"sampling_weight: -1\.0 is not a weight"):
        import_config(_source(tmp_path, mix=MIX.replace("0.5", "-1.0")))


@pytest.mark.parametrize(("name", "template"), [
    ("chat-ml", "chatml"), ("mistral-with-system", "mistral-with-system"), ("poro", "poro"),
    ("simplified-llama31", "simplified-llama31"), ("keep-original", "tokenizer_default")])
def test_every_template_name_maps_exactly(tmp_path, name, template):
    imported = import_config(_source(tmp_path, template=name))
    assert statuses(imported.report)["data_conf.chat_template_name"] == ("exact", "chat_template")
    assert imported.preset["chat_template"] == template
    assert imported.preset.get("eot_tokens") == (["<|eot_id|>"] if name == "simplified-llama31" else None)
    assert imported.preset.get("tokens") == (["<|im_start|>", "<|im_end|>"] if name == "chat-ml" else None)


def test_an_unset_template_is_silogens_default(tmp_path):
    src = _source(tmp_path)
    src.write_text(src.read_text().replace('  chat_template_name: "poro"\n', ""))
    imported = import_config(src)
    assert imported.preset["chat_template"] == "mistral-with-system"
    assert statuses(imported.report)["data_conf.chat_template_name"] == ("exact", "chat_template")


def test_silogen_learns_every_token_unless_completions_only(tmp_path):
    imported = import_config(_source(tmp_path))
    assert imported.preset["train_on_inputs"] is True
    assert statuses(imported.report)["sft_args.train_on_completions_only"] == ("approximated", "train_on_inputs")
    src = _source(tmp_path)
    src.write_text(src.read_text().replace("  max_seq_length: 128\n",
                                           "  max_seq_length: 128\n  train_on_completions_only: true\n"))
    only = import_config(src)
    assert "train_on_inputs" not in only.preset
    assert statuses(only.report)["sft_args.train_on_completions_only"][0] == "approximated"


def test_converted_weighted_poro_preset_prepares_silogens_rows_and_trains(tmp_path, tiny_model_dir):
    def chat(tag, n):
        return [{"messages": [{"role": "user", "content": f"{tag} question {i}"},
                              {"role": "assistant", "content": f"{tag} answer {i}"}]} for i in range(n)]

    a = write_jsonl(tmp_path / "a.jsonl", chat("Alpha", 2))
    b = write_jsonl(tmp_path / "b.jsonl", chat("Bravo", 4))
    mix = MIX.replace("1.0", "3.0").replace("0.5", "1.0").replace(
        "    type: PRECOMPUTE_WEIGHTED_MIX\n", "    type: PRECOMPUTE_WEIGHTED_MIX\n    seed: 7\n")
    imported = import_config(_source(tmp_path, mix=mix, a=a, b=b, model=tiny_model_dir))
    out = tmp_path / "preset.yaml"
    out.write_text(imported.text)
    preset = Preset(imported.text, out)
    assert preset.errors == []
    cfg = preset.config
    p = prepare(cfg, use_cache=False)
    tok = tokenizer_for(cfg)
    texts = [tok.decode(ids) for ids in p.train["input_ids"]]
    # weights 3:1, seed 7: the draws begin A B B A A B A B (tests/test_data_mixing.py works them out by hand)
    rows = [("Alpha", 0), ("Bravo", 0), ("Bravo", 1), ("Alpha", 1), ("Alpha", 0), ("Bravo", 2), ("Alpha", 1),
            ("Bravo", 3)]
    assert texts == [f"<|user|>\n{t} question {i}</s><|assistant|>\n{t} answer {i}</s>" for t, i in rows]
    # every message is learned (SiloGen: every token; tunedeck leaves the role markers out, as the report says)
    assert trained_text(tok, p.train["input_ids"][0], p.train["labels"][0]) == [
        "Alpha question 0</s>", "Alpha answer 0</s>"]
    plain = yaml.safe_load(imported.text) | {"output_dir": str(tmp_path / "run-out"), "save_strategy": "no",
                                             "dataset_prepared_path": str(tmp_path / "prepared"),
                                             "logging_steps": 1, "num_epochs": 1}
    run_dir = make_run_dir(tmp_path, plain)
    assert run_train(run_dir, timeout=600).returncode == 0, log_text(run_dir)[-3000:]
    steps = of_kind(run_dir, "step")
    assert len(steps) == 1 and steps[0]["loss"] > 0  # 8 mixed rows, one step of 8 (4 per pass, 2 accumulated)
    assert "weighted mix: 8 training rows per epoch (dataset 0: 4, dataset 1: 4)" in log_text(run_dir)


def test_a_validation_file_becomes_test_datasets_and_its_rows_are_the_evaluation_set(tmp_path, tiny_model_dir):
    """SiloGen's validation_data of type CONCATENATION (its own files) is imported onto test_datasets, in the rows'
    own format; before, the file was not read and a 5 % share of the training rows was held out instead."""
    def chat(tag, n):
        return [{"messages": [{"role": "user", "content": f"{tag} question {i}"},
                              {"role": "assistant", "content": f"{tag} answer {i}"}]} for i in range(n)]

    a = write_jsonl(tmp_path / "a.jsonl", chat("Alpha", 4))
    held = write_jsonl(tmp_path / "held.jsonl", chat("Held", 3))
    mix = MIX.replace("      - path: \"{b}\"\n        sampling_weight: 0.5\n", "").replace(
        "  validation_data:\n    type: NONE\n",
        f"  validation_data:\n    type: CONCATENATION\n    datasets:\n      - path: \"{held}\"\n")
    imported = import_config(_source(tmp_path, mix=mix, a=a, model=tiny_model_dir))
    got = statuses(imported.report)
    assert got["data_conf.validation_data.type"] == ("exact", "test_datasets")
    assert got["data_conf.validation_data.datasets.0.path"] == ("exact", "test_datasets[0].path")
    assert imported.preset["test_datasets"] == [{"path": str(held), "type": "chat_template", "ds_type": "json"}]
    assert "val_set_size" not in imported.preset
    preset = Preset(imported.text, tmp_path / "preset.yaml")
    assert preset.errors == []
    p = prepare(preset.config, use_cache=False)
    tok = tokenizer_for(preset.config)
    assert len(p.train) == 4 and [tok.decode(ids) for ids in p.eval["input_ids"]] == [
        f"<|user|>\nHeld question {i}</s><|assistant|>\nHeld answer {i}</s>" for i in range(3)]


def test_a_dpo_validation_file_becomes_test_datasets_pairs(tmp_path):
    """A DPO config's validation file holds pairs in SiloGen's preference rows, as its training files do."""
    text = SILOGEN_SFT.format(data="train.jsonl", out=tmp_path / "out", model="m").replace(
        "    type: AUTO_SPLIT\n    ratio: 0.1\n", "    type: CONCATENATION\n    datasets:\n      - path: valid.jsonl\n")
    src = tmp_path / "dpo.yaml"
    src.write_text("method: dpo\n" + text.replace("sft_args:\n  max_seq_length: 128\n", ""))
    imported = import_config(src)
    [entry] = imported.preset["test_datasets"]
    assert entry["path"] == "valid.jsonl" and entry["type"] == "chat_template.default"
    assert (entry["field_messages"], entry["field_chosen"]) == ("prompt_messages", "chosen_messages")
    assert imported.preset["datasets"][0]["type"] == "chat_template.default"
    assert statuses(imported.report)["data_conf.validation_data.type"] == ("exact", "test_datasets")
