"""Preference configs of SiloGen (dpo) and turbo-alignment (dpo, kto) import to presets that read the tools' own
row shapes through chat_template.default's field-name knobs: they validate, dry-run, and an imported
turbo-alignment DPO config trains the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from _data_helpers import prepare, write_jsonl
from _import_helpers import SILOGEN_SFT, turbo_sft, write_json
from _resume_helpers import tunedeck
from _train_helpers import log_text, make_run_dir, of_kind, run_train

from engine.importers import import_config
from engine.preset import Preset

CONTEXT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
           {"role": "bot", "content": "hello"}, {"role": "user", "content": "how are you"}]


def _turbo(tmp_path: Path, model: Path, data_type: str, rows: list[dict[str, Any]]) -> tuple[Any, Preset]:
    data = write_jsonl(tmp_path / "records.jsonl", rows)
    config = turbo_sft(str(data), model=str(model), dataset_type=data_type, max_tokens_count=128)
    config["trainer_settings"].update(per_device_train_batch_size=2, gradient_accumulation_steps=1, max_steps=3)
    config["log_path"] = str(tmp_path / "out")
    imported = import_config(write_json(tmp_path / f"{data_type}.json", config))
    path = tmp_path / "preset.yaml"
    path.write_text(imported.text)
    return imported, Preset(imported.text, path)


def _pairs(n: int) -> list[dict[str, Any]]:
    return [{"id": str(i), "context": CONTEXT, "answer_w": {"role": "bot", "content": f"fine, thanks {i}"},
             "answer_l": {"role": "bot", "content": f"go away {i}"}} for i in range(n)]


def _dry_run(path: Path) -> None:
    out = tunedeck("train", str(path), "--dry-run")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "-m engine.train" in out.stdout


def test_silogen_dpo_reads_its_message_lists(tmp_path: Path, tiny_model_dir: Path) -> None:
    data = write_jsonl(tmp_path / "prefs.jsonl", [
        {"prompt_messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"}],
         "chosen_messages": [{"role": "assistant", "content": f"{4 + i}."}],
         "rejected_messages": [{"role": "assistant", "content": f"Maybe {5 + i}."}]} for i in range(4)])
    src = tmp_path / "dpo.yaml"
    src.write_text(SILOGEN_SFT.format(data=data, out=tmp_path / "out", model=tiny_model_dir).replace(
        "  optim: rmsprop\n", "  beta: 0.2\n"))
    imported = import_config(src)
    entry = {e.source: (e.status, e.target) for e in imported.report.entries}
    assert entry["data_conf.training_data.datasets.0.path"] == ("exact", "datasets[0].path")
    assert not [e for e in imported.report.entries if e.status == "not carried over" and "datasets" in e.source]
    path = tmp_path / "preset.yaml"
    path.write_text(imported.text)
    preset = Preset(imported.text, path)
    assert preset.errors == []
    rows = prepare(preset.config, use_cache=False).rows
    assert rows[0]["prompt"].endswith("<|im_start|>user\n2 + 2?<|im_end|>\n<|im_start|>assistant\n")
    assert (rows[0]["chosen"], rows[0]["rejected"]) == ("4.<|im_end|></s>", "Maybe 5.<|im_end|></s>")
    _dry_run(path)


def test_turbo_alignment_kto_reads_answer_and_is_desirable(tmp_path: Path, tiny_model_dir: Path) -> None:
    rows = [{"id": str(i), "context": CONTEXT, "answer": {"role": "bot", "content": f"answer {i}"},
             "is_desirable": i % 2 == 0} for i in range(4)]
    imported, preset = _turbo(tmp_path, tiny_model_dir, "kto", rows)
    assert imported.preset["rl"] == "kto"
    statuses = {e.source: e.status for e in imported.report.entries}
    assert statuses["train_dataset_settings.sources.0.records_path"] == "exact"
    assert "not carried over" not in {s for k, s in statuses.items() if k.startswith("train_dataset_settings.sources")}
    assert preset.errors == []
    prepared = prepare(preset.config, use_cache=False)
    assert [r["label"] for r in prepared.rows] == [True, False, True, False]
    # turbo-alignment's prefix/suffix rendering: <RS> + tag + content + </RS> per message
    assert prepared.rows[0]["prompt"] == ("<RS><system>Be brief.</RS><RS><user>hi</RS><RS><bot>hello</RS>"
                                          "<RS><user>how are you</RS><RS><bot>")
    assert prepared.rows[0]["completion"] == "answer 0</RS></s>"
    _dry_run(tmp_path / "preset.yaml")


def test_turbo_alignment_dpo_trains_the_tiny_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    imported, preset = _turbo(tmp_path, tiny_model_dir, "pair_preferences", _pairs(6))
    assert preset.errors == []
    rows = prepare(preset.config, use_cache=False).rows
    assert (rows[0]["chosen"], rows[0]["rejected"]) == ("fine, thanks 0</RS></s>", "go away 0</RS></s>")
    _dry_run(tmp_path / "preset.yaml")
    run_dir = make_run_dir(tmp_path, yaml.safe_load(imported.text) | {"save_strategy": "no"})
    result = run_train(run_dir, timeout=600)
    assert result.returncode == 0, log_text(run_dir)[-3000:]
    steps = of_kind(run_dir, "step")
    assert len(steps) == 3 and {"rewards_chosen", "rewards_rejected", "rewards_margin"} <= set(steps[-1])
    assert of_kind(run_dir, "finished")


def test_turbo_alignment_preference_validation_sources_become_test_datasets(tmp_path: Path,
                                                                            tiny_model_dir: Path) -> None:
    """val_dataset_settings of pair data: its pairs are the evaluation set, read like the training pairs (no
    held-out share of them)."""
    config = turbo_sft(str(write_jsonl(tmp_path / "train.jsonl", _pairs(4))), model=str(tiny_model_dir),
                       dataset_type="pair_preferences", max_tokens_count=128)
    held = write_jsonl(tmp_path / "val.jsonl", _pairs(2))
    config["val_dataset_settings"] = {**config["train_dataset_settings"],
                                      "sources": [{"name": "held", "records_path": str(held), "num_samples": 1}]}
    imported = import_config(write_json(tmp_path / "dpo.json", config))
    p = imported.preset
    train = {k: v for k, v in p["datasets"][0].items() if k != "path"}
    assert p["test_datasets"] == [{**train, "path": str(held), "num_samples": 1}]
    assert p["val_set_size"] == 0 and train["field_chosen"] == "answer_w"
    got = {e.source: (e.status, e.target) for e in imported.report.entries}
    assert got["val_dataset_settings.sources.0.records_path"] == ("exact", "test_datasets[0].path")
    assert got["val_dataset_settings.dataset_type"][0] == "exact"  # the same as training's
    path = tmp_path / "preset.yaml"
    path.write_text(imported.text)
    preset = Preset(imported.text, path)
    assert preset.errors == []
    data = prepare(preset.config, use_cache=False)
    assert (data.stats["train_rows"], data.stats["eval_rows"]) == (4, 1)
