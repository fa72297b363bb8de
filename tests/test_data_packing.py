"""Sample packing: bins fit, rows stay apart (same logits as alone), boundaries masked."""

from __future__ import annotations

import pytest
from _data_helpers import make_cfg, prepare, write_jsonl

from engine.data.packing import pack_bins, pack_rows


def test_bins_respect_capacity_and_keep_every_row():
    lengths = [5, 9, 3, 7, 1, 10, 2, 8, 4, 6] * 3
    bins = pack_bins(lengths, 10, seed=3)
    assert sorted(i for b in bins for i in b) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in b) <= 10 for b in bins)
    assert len(bins) == -(-sum(lengths) // 10)  # the lower bound: this mix packs optimally
    assert pack_bins(lengths, 10, seed=3) == bins


def test_packed_columns_positions_and_boundary_labels():
    out = pack_rows([[1, 2, 3], [4, 5]], [[1, 2, 3], [-100, 5]], capacity=8)
    assert out["input_ids"] in ([[1, 2, 3, 4, 5]],)
    assert out["position_ids"] == [[0, 1, 2, 0, 1]]
    # no row learns the next row's first token; a row's own first label is never a target anyway
    assert out["labels"] == [[-100, 2, 3, -100, 5]]


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_row_logits_equal_row_alone(tiny_model_dir, attn):
    import torch
    from transformers import AutoModelForCausalLM

    from engine.data.collate import DataCollator

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, attn_implementation=attn).eval()
    a, b, c = [5, 17, 42, 8, 99], [23, 7, 61], [11, 12, 13, 14]
    packed = pack_rows([a, b, c], [a, b, c], capacity=64)
    assert len(packed["input_ids"]) == 1
    feature = {k: v[0] for k, v in packed.items()}
    batch = DataCollator(pad_token_id=0, pad_to=16)([feature])
    assert "attention_mask" not in batch and batch["input_ids"].shape == (1, 16)
    model.train()  # as in training; dropout is 0 in the tiny config
    with torch.no_grad():
        together = model(**batch).logits[0]
        start = 0
        for row in (packed_order := _rows_in_order(feature)):
            alone = model(input_ids=torch.tensor([row])).logits[0]
            torch.testing.assert_close(together[start:start + len(row)], alone, atol=1e-5, rtol=1e-4)
            start += len(row)
        # with a KV cache transformers ignores the packing (the reason the collator sends use_cache=False),
        # and then the rows see each other: the check above is not vacuous
        leaky = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=True).logits[0]
        last = packed_order[-1]
        assert not torch.allclose(leaky[start - len(last):start], model(input_ids=torch.tensor([last])).logits[0],
                                  atol=1e-5)


def _rows_in_order(feature):
    rows, cur = [], []
    for tok, pos in zip(feature["input_ids"], feature["position_ids"], strict=False):
        if pos == 0 and cur:
            rows.append(cur)
            cur = []
        cur.append(tok)
    return [*rows, cur]


def test_prepare_packs_and_reports_efficiency(tiny_model_dir, tmp_path):
    import random

    rng = random.Random(0)
    words = ["Onmelvel", "Stozor", "Barim", "flows", "through", "capital", "country", "founded", "Zorba", "Loruka"]
    rows = [{"text": " ".join(rng.choice(words) for _ in range(rng.randint(3, 40)))} for _ in range(300)]
    data = write_jsonl(tmp_path / "c.jsonl", rows)
    p = prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": str(data)}], sequence_len=128, sample_packing=True))
    assert set(p.train.column_names) == {"input_ids", "labels", "position_ids"}
    lengths = [len(x) for x in p.train["input_ids"]]
    assert max(lengths) <= 128
    assert sum(lengths) == p.stats["tokens"]
    assert p.stats["packing_efficiency"] == pytest.approx(sum(lengths) / (len(lengths) * 128))
    assert p.stats["packing_efficiency"] > 0.95
