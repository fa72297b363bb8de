"""test_datasets: a separate evaluation set read like datasets:, instead of a val_set_size split."""

from __future__ import annotations

import pytest
from _data_helpers import make_cfg, prepare, write_jsonl

from engine.data.errors import DataError
from engine.knobs import Config
from engine.knobs.rules import check_rules
from engine.machine import evaluates

TRAIN = [{"text": f"training row number {i}"} for i in range(6)]
HELD = [{"text": f"held out {w}"} for w in ("alpha", "beta", "gamma")]


def entry(path) -> dict:
    return {"path": str(path), "type": "completion"}


def test_the_evaluation_set_is_the_test_datasets_rows_and_every_training_row_trains(tmp_path, tiny_model_dir):
    train = write_jsonl(tmp_path / "train.jsonl", TRAIN)
    held = write_jsonl(tmp_path / "val.jsonl", HELD)
    cfg = make_cfg(tiny_model_dir, tmp_path, [entry(train)], test_datasets=[entry(held)], val_set_size=0)
    data = prepare(cfg, use_cache=False)
    assert (len(data.train), len(data.eval)) == (6, 3)
    assert (data.stats["train_rows"], data.stats["eval_rows"]) == (6, 3)
    from _data_helpers import tokenizer_for
    tok = tokenizer_for(cfg)
    evaluated = sorted(tok.decode(ids, skip_special_tokens=True).strip() for ids in data.eval["input_ids"])
    assert evaluated == sorted(r["text"] for r in HELD)
    trained = sorted(tok.decode(ids, skip_special_tokens=True).strip() for ids in data.train["input_ids"])
    assert trained == sorted(r["text"] for r in TRAIN)


def test_moving_a_file_into_test_datasets_is_not_a_cache_hit(tmp_path, tiny_model_dir):
    a = write_jsonl(tmp_path / "a.jsonl", TRAIN)
    b = write_jsonl(tmp_path / "b.jsonl", HELD)
    both = make_cfg(tiny_model_dir, tmp_path, [entry(a), entry(b)])
    prepare(both, preset_path=tmp_path / "p.yml")
    split = make_cfg(tiny_model_dir, tmp_path, [entry(a)], test_datasets=[entry(b)])
    data = prepare(split, preset_path=tmp_path / "p.yml")
    assert not data.cache_hit and len(data.eval) == 3


def test_a_missing_test_file_names_test_datasets(tmp_path, tiny_model_dir):
    train = write_jsonl(tmp_path / "train.jsonl", TRAIN)
    cfg = make_cfg(tiny_model_dir, tmp_path, [entry(train)], test_datasets=[entry(tmp_path / "nope.jsonl")])
    with pytest.raises(DataError) as err:
        prepare(cfg, use_cache=False)
    assert err.value.key == "test_datasets.0.path"
    assert "test dataset 0" in str(err.value) and "test_datasets.0.path" in str(err.value)


def make(**values) -> Config:
    return Config(base_model="org/model", datasets=[{"path": "data.jsonl"}], **values)


def test_rules_accept_test_datasets_as_the_validation_data():
    cfg = make(test_datasets=[{"path": "val.jsonl"}], evals_per_epoch=2, save_strategy="best",
               metric_for_best_model="eval_loss")
    assert [p.format() for p in check_rules(cfg) if p.severity == "error"] == []
    assert not [p for p in check_rules(cfg) if p.key in ("evals_per_epoch", "metric_for_best_model")]
    assert evaluates(cfg)


def test_rules_refuse_test_datasets_with_a_val_set_size_split():
    problems = check_rules(make(test_datasets=[{"path": "val.jsonl"}], val_set_size=0.1))
    hit = [p for p in problems if p.key == "val_set_size" and p.severity == "error"]
    assert hit and "test_datasets" in hit[0].message


def test_rules_refuse_test_datasets_with_preference_training():
    problems = check_rules(make(rl="dpo", test_datasets=[{"path": "val.jsonl"}]))
    assert [p for p in problems if p.key == "test_datasets" and p.severity == "error"]
