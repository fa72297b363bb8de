"""dataset_mixing: weighted — training sources interleaved by sampling_weight as SiloGen's PRECOMPUTE_WEIGHTED_MIX
does it (datasets.interleave_datasets, all_exhausted, seeded): order and counts by hand and against the library
SiloGen calls; the prepared rows, their count in the stats and the dry run, the cache key, the rules."""

from __future__ import annotations

import pytest
from _data_helpers import make_cfg, prepare, tokenizer_for, write_jsonl
from pydantic import ValidationError

from engine.data.mixing import mixed_order
from engine.data.summary import summary_lines
from engine.knobs.rules import check_rules

A = [f"Alpha {i}." for i in range(2)]
B = [f"Bravo {i}." for i in range(4)]


def test_weighted_draws_follow_silogens_rule_by_hand():
    # numpy.random.default_rng(7).choice(2, size=1000, p=[0.75, 0.25]) begins 0 1 1 0 0 1 0 1: each draw takes the
    # source's next row (A starts over after its 2 rows); B's 4th row is drawn at draw 8, after A ran out at
    # draw 4, so every row has been drawn and the mix ends there.
    assert mixed_order([2, 4], [3.0, 1.0], seed=7) == [
        (0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 2), (0, 1), (1, 3)]


def test_equal_weights_take_turns_until_the_largest_source_is_through():
    assert mixed_order([3, 5], [1.0, 1.0], seed=7) == [
        (0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2), (0, 0), (1, 3), (0, 1), (1, 4)]


@pytest.mark.parametrize(("sizes", "weights", "seed"), [
    ([5, 3, 8], [1.0, 0.5, 2.0], 19851243), ([40, 3], [0.1, 0.9], 3), ([3, 5], [1.0, 1.0], 1)])
def test_the_mix_is_the_one_interleave_datasets_makes_for_silogen(sizes, weights, seed):
    import datasets

    sources = [datasets.Dataset.from_dict({"k": [f"{s}:{i}" for i in range(n)]}) for s, n in enumerate(sizes)]
    # SiloGen's setup_datainput: weights left at 1.0 mean no probabilities (round robin), else weights / their sum
    probabilities = None if set(weights) == {1.0} else [w / sum(weights) for w in weights]
    silogen = datasets.interleave_datasets(sources, probabilities=probabilities, stopping_strategy="all_exhausted",
                                           seed=seed)["k"]
    assert [f"{s}:{i}" for s, i in mixed_order(sizes, weights, seed)] == silogen


def _mixed_cfg(tiny_model_dir, tmp_path, weights=(3.0, 1.0), **top):
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": t} for t in A])
    b = write_jsonl(tmp_path / "b.jsonl", [{"text": t} for t in B])
    top = {"dataset_mixing": "weighted", "dataset_mixing_seed": 7, **top}
    return make_cfg(tiny_model_dir, tmp_path, [
        {"path": str(a), "type": "completion", "sampling_weight": weights[0]},
        {"path": str(b), "type": "completion", "sampling_weight": weights[1]}], **top)


def _train_texts(cfg, prepared):
    tok = tokenizer_for(cfg)
    return [tok.decode(ids, skip_special_tokens=True) for ids in prepared.train["input_ids"]]


def test_prepared_training_rows_are_the_weighted_mix(tiny_model_dir, tmp_path):
    cfg = _mixed_cfg(tiny_model_dir, tmp_path)
    p = prepare(cfg, use_cache=False)
    assert _train_texts(cfg, p) == [A[0], B[0], B[1], A[1], A[0], B[2], A[1], B[3]]
    assert p.stats["rows"] == 6 and p.stats["train_rows"] == 8  # 6 distinct rows, 8 in the mixed epoch
    assert p.stats["mixed_rows"] == [4, 4]
    assert "data: weighted mix: 8 training rows per epoch (dataset 0: 4, dataset 1: 4)" in summary_lines(p.stats)
    again = prepare(cfg, use_cache=False)
    assert _train_texts(cfg, again) == _train_texts(cfg, p)  # seeded: the same mix every time


def test_the_mix_seed_defaults_to_seed(tiny_model_dir, tmp_path):
    cfg = _mixed_cfg(tiny_model_dir, tmp_path, dataset_mixing_seed=None, seed=7)
    assert _train_texts(cfg, prepare(cfg, use_cache=False)) == [A[0], B[0], B[1], A[1], A[0], B[2], A[1], B[3]]


def test_validation_rows_are_split_off_before_mixing_and_never_repeat(tiny_model_dir, tmp_path):
    cfg = _mixed_cfg(tiny_model_dir, tmp_path, weights=(1.0, 1.0), val_set_size=2)
    p = prepare(cfg, use_cache=False)
    tok = tokenizer_for(cfg)
    evals = [tok.decode(ids, skip_special_tokens=True) for ids in p.eval["input_ids"]]
    train = _train_texts(cfg, p)
    assert len(evals) == 2 and not set(evals) & set(train)
    assert set(train) | set(evals) == set(A + B)


def test_concatenate_uses_every_row_once(tiny_model_dir, tmp_path):
    cfg = _mixed_cfg(tiny_model_dir, tmp_path, dataset_mixing="concatenate", dataset_mixing_seed=None)
    p = prepare(cfg, use_cache=False)
    assert _train_texts(cfg, p) == A + B and p.stats["train_rows"] == 6 and p.stats["mixed_rows"] is None


def test_weights_and_mixing_are_in_the_cache_key(tiny_model_dir, tmp_path):
    first = prepare(_mixed_cfg(tiny_model_dir, tmp_path))
    assert prepare(_mixed_cfg(tiny_model_dir, tmp_path)).cache_hit and first.stats["train_rows"] == 8
    reweighted = prepare(_mixed_cfg(tiny_model_dir, tmp_path, weights=(1.0, 3.0)))
    reseeded = prepare(_mixed_cfg(tiny_model_dir, tmp_path, dataset_mixing_seed=8))
    concatenated = prepare(_mixed_cfg(tiny_model_dir, tmp_path, dataset_mixing="concatenate",
                                      dataset_mixing_seed=None))
    assert not (reweighted.cache_hit or reseeded.cache_hit or concatenated.cache_hit)
    assert concatenated.stats["train_rows"] == 6


def test_dry_run_counts_the_mixed_epoch(tiny_model_dir, tmp_path):
    from engine.runs.dry_run import planned_steps

    cfg = _mixed_cfg(tiny_model_dir, tmp_path, micro_batch_size=2, gradient_accumulation_steps=1, num_epochs=1)
    total, how = planned_steps(cfg, tmp_path / "preset.yaml")
    assert total == 4 and how.startswith("8 training rows (the weighted mix of datasets, by sampling_weight)")


@pytest.mark.parametrize("weight", [0, -1.0])
def test_a_weight_must_be_positive(tiny_model_dir, tmp_path, weight):
    with pytest.raises(ValidationError, match="greater than 0"):
        make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", "sampling_weight": weight}])


def test_rules_warn_about_weights_nothing_reads(tiny_model_dir, tmp_path):
    def keys(cfg):
        return {(p.key, p.severity) for p in check_rules(cfg)}

    one = make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl"}], dataset_mixing="weighted")
    assert ("dataset_mixing", "warning") in keys(one)
    unused = make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", "sampling_weight": 2.0}, {"path": "y.jsonl"}],
                      dataset_mixing_seed=3, test_datasets=[{"path": "z.jsonl", "sampling_weight": 2.0}])
    assert {("datasets.0.sampling_weight", "warning"), ("dataset_mixing_seed", "warning"),
            ("test_datasets.0.sampling_weight", "warning")} <= keys(unused)
    mixed = make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", "sampling_weight": 2.0}, {"path": "y.jsonl"}],
                     dataset_mixing="weighted")
    assert not {k for k, _ in keys(mixed)} & {"dataset_mixing", "datasets.0.sampling_weight"}
