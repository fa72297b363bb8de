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


def test_rules_accept_test_datasets_with_preference_training():
    pairs = {"path": "pairs.jsonl", "type": "chat_template.default"}
    cfg = Config(base_model="org/model", datasets=[pairs], rl="dpo", test_datasets=[pairs], evals_per_epoch=2)
    problems = check_rules(cfg)
    assert [p.format() for p in problems if p.severity == "error"] == []
    assert not [p for p in problems if p.key in ("test_datasets", "evals_per_epoch")]
    assert evaluates(cfg)


def test_rules_want_preference_types_in_test_datasets_of_an_rl_run():
    cfg = Config(base_model="org/model", datasets=[{"path": "pairs.jsonl", "type": "chat_template.default"}],
                 rl="dpo", test_datasets=[{"path": "val.jsonl", "type": "completion"}])
    hit = [p for p in check_rules(cfg) if p.key == "test_datasets.0.type"]
    assert hit and hit[0].severity == "error" and "chosen/rejected pairs" in hit[0].message


def pairs(*answers: str) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Say {a}."}], "chosen": a, "rejected": f"not {a}"}
            for a in answers]


def test_preference_runs_evaluate_on_the_test_datasets_pairs(tmp_path, tiny_model_dir):
    """rl: the pairs of test_datasets, in the training data's preference format, are the evaluation set; every
    training pair trains."""
    from _data_helpers import tokenizer_for

    train = write_jsonl(tmp_path / "train.jsonl", pairs("one", "two", "three", "four"))
    held = write_jsonl(tmp_path / "val.jsonl", [{"question": f"Say {a}.", "good": a, "bad": f"not {a}"}
                                                for a in ("five", "six")])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(train), "type": "chat_template.default"}], rl="dpo",
                   chat_template="tokenizer_default",
                   test_datasets=[{"path": str(held), "type": "chat_template.default", "field_messages": "question",
                                   "field_chosen": "good", "field_rejected": "bad"}])
    data = prepare(cfg, use_cache=False)
    assert (len(data.train), len(data.eval)) == (4, 2)
    assert (data.stats["train_rows"], data.stats["eval_rows"], data.stats["rows"]) == (4, 2, 6)
    assert [d["path"] for d in data.stats["datasets"]] == [str(train), str(held)]
    tok = tokenizer_for(cfg)
    decoded = sorted(tok.decode(ids) for ids in data.eval["chosen_ids"])
    assert decoded == ["five<|im_end|></s>", "six<|im_end|></s>"]
    assert [tok.decode(ids) for ids in data.train["rejected_ids"]] == [f"not {a}<|im_end|></s>" for a in
                                                                      ("one", "two", "three", "four")]
    evaluated = [r for r in data.rows if r["dataset"] == 1]
    assert [r["prompt"].endswith("Say five.<|im_end|>\n<|im_start|>assistant\n") for r in evaluated] == [True, False]


def test_a_bad_test_datasets_pair_names_test_datasets(tmp_path, tiny_model_dir):
    train = write_jsonl(tmp_path / "train.jsonl", pairs("one", "two"))
    held = write_jsonl(tmp_path / "val.jsonl", [{"messages": [{"role": "user", "content": "hi"}], "chosen": "a"}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(train), "type": "chat_template.default"}], rl="dpo",
                   chat_template="tokenizer_default",
                   test_datasets=[{"path": str(held), "type": "chat_template.default"}])
    with pytest.raises(DataError) as err:
        prepare(cfg, use_cache=False)
    assert err.value.key is not None and err.value.key.startswith("test_datasets.0")
    assert "rejected" in str(err.value) and "datasets.1" not in str(err.value)


def test_kto_evaluates_on_test_datasets_rows_of_one_label(tmp_path, tiny_model_dir):
    """KTO's both-labels check reads the training rows: an evaluation file of desirable rows only is fine."""
    rows = [{"prompt": f"Say {a}.", "completion": a, "label": i % 2 == 0} for i, a in enumerate(["a", "b", "c"])]
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    held = write_jsonl(tmp_path / "val.jsonl", [{"prompt": "Say d.", "completion": "d", "label": True}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(train), "type": "chatml.prompt_pairs"}], rl="kto",
                   test_datasets=[{"path": str(held), "type": "chatml.prompt_pairs"}])
    data = prepare(cfg, use_cache=False)
    assert (len(data.train), data.eval["label"]) == (3, [True])


def test_dry_run_counts_the_evaluation_pairs_of_test_datasets(tmp_path, tiny_model_dir):
    """4 training pairs at micro batch 1 → 4 steps an epoch; evals_per_epoch 2 → every 2 steps; the 2 pairs of
    test_datasets at eval_batch_size 1 → 2 batches each evaluation."""
    import yaml
    from _resume_helpers import tunedeck

    train = write_jsonl(tmp_path / "train.jsonl", pairs("one", "two", "three", "four"))
    held = write_jsonl(tmp_path / "val.jsonl", pairs("five", "six"))
    preset = tmp_path / "dpo.yaml"
    preset.write_text(yaml.safe_dump({
        "base_model": str(tiny_model_dir), "rl": "dpo", "chat_template": "tokenizer_default", "sequence_len": 128,
        "datasets": [{"path": str(train), "type": "chat_template.default"}],
        "test_datasets": [{"path": str(held), "type": "chat_template.default"}],
        "micro_batch_size": 1, "eval_batch_size": 1, "evals_per_epoch": 2, "num_epochs": 1, "learning_rate": 1e-5,
        "output_dir": str(tmp_path / "out"), "dataset_prepared_path": str(tmp_path / "prepared")}))
    out = tunedeck("train", str(preset), "--dry-run")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "steps 4 (4 training rows, 4 steps per epoch)" in out.stdout
    assert "evaluation 2 rows (test_datasets): 2 batches per process each time, every 2 steps" in out.stdout
