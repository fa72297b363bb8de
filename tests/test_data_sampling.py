"""Per-dataset sample_rate / num_samples: a seeded random subset of a source's rows, taken before tokenizing and
before the validation split, counted as sampled_out, part of the cache key; validated (no repeats, not both)."""

from __future__ import annotations

import pytest
from _data_helpers import make_cfg, prepare, tokenizer_for, write_jsonl
from pydantic import ValidationError

from engine.data.summary import dropped_by_reason

TEXTS = [f"Row {i} of the Barim." for i in range(20)]


def rows_of(tiny_model_dir, tmp_path, use_cache=False, **entry):
    data = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in TEXTS])
    other = write_jsonl(tmp_path / "d.jsonl", [{"text": "Stozor."}, {"text": "Zorba."}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "completion", **entry},
                                              {"path": str(other), "type": "completion"}], val_set_size=0.25)
    tok = tokenizer_for(cfg)
    p = prepare(cfg, use_cache=use_cache)
    return [tok.decode(ids, skip_special_tokens=True) for ids in p.rows["input_ids"]], p


def test_sample_rate_keeps_a_seeded_share_in_file_order(tiny_model_dir, tmp_path):
    texts, p = rows_of(tiny_model_dir, tmp_path, sample_rate=0.25)
    first = texts[:-2]
    assert len(first) == 5 and set(first) <= set(TEXTS)
    assert first == sorted(first, key=TEXTS.index)  # file order
    assert texts[-2:] == ["Stozor.", "Zorba."]  # an entry without sampling keeps every row
    assert p.stats["source_rows"] == 22 and p.stats["rows"] == 7 and p.stats["sampled_out"] == 15
    assert p.stats["datasets"][0]["sampled_out"] == 15 and p.stats["datasets"][1]["sampled_out"] == 0
    assert p.stats["train_rows"] + p.stats["eval_rows"] == 7  # sampled before the validation split
    assert ("left out by sample_rate / num_samples", 15) in dropped_by_reason(p.stats)
    again, _ = rows_of(tiny_model_dir, tmp_path, sample_rate=0.25)
    assert again == texts  # seeded


def test_num_samples_keeps_that_many_or_every_row(tiny_model_dir, tmp_path):
    texts, p = rows_of(tiny_model_dir, tmp_path, num_samples=3)
    assert len(texts) == 5 and p.stats["sampled_out"] == 17
    texts, p = rows_of(tiny_model_dir, tmp_path, num_samples=50)
    assert texts[:-2] == TEXTS and p.stats["sampled_out"] == 0


def test_sampling_is_in_the_cache_key(tiny_model_dir, tmp_path):
    whole, _ = rows_of(tiny_model_dir, tmp_path, use_cache=True)
    half, p = rows_of(tiny_model_dir, tmp_path, use_cache=True, sample_rate=0.5)
    assert not p.cache_hit and len(half) == 12 and len(whole) == 22


@pytest.mark.parametrize(("entry", "words"), [
    ({"sample_rate": 1.5}, "less than or equal to 1"),
    ({"sample_rate": 0}, "greater than 0"),
    ({"num_samples": 0}, "greater than or equal to 1"),
    ({"sample_rate": 0.5, "num_samples": 3}, "not both"),
])
def test_bad_sampling_is_refused(tiny_model_dir, tmp_path, entry, words):
    with pytest.raises(ValidationError) as info:
        make_cfg(tiny_model_dir, tmp_path, [{"path": "x.jsonl", "type": "completion", **entry}])
    assert words in str(info.value)
