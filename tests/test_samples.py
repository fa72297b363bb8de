"""Samples during training: at each evaluation the model answers validation prompts, written to events.jsonl with
the reference, chrF and the perplexity; ``attach`` prints them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.runs.reporter import describe_samples
from engine.train.samples import split_row
from tests._infer_helpers import train_demo
from tests._train_helpers import of_kind


def test_a_chat_row_splits_at_its_first_learned_stretch() -> None:
    ids = [10, 11, 12, 13, 14, 15, 16, 17]
    labels = [-100, -100, -100, 13, 14, -100, -100, 17]
    assert split_row(ids, labels) == ([10, 11, 12], [13, 14])
    assert split_row([1, 2, 3, 4], [1, 2, 3, 4]) == ([1, 2], [3, 4])  # learned from the start: halves


@pytest.mark.slow
def test_samples_appear_at_each_evaluation_with_scores(tmp_path: Path) -> None:
    run_dir = train_demo(tmp_path, rows=12, steps=60, val_set_size=3, eval_steps=30, sample_answers=2,
                         inference_max_new_tokens=24)
    evals, samples = of_kind(run_dir, "eval"), of_kind(run_dir, "samples")
    assert [e["step"] for e in samples] == [e["step"] for e in evals] == [30, 60]
    for event, ev in zip(samples, evals, strict=False):
        assert event["perplexity"] == pytest.approx(math.exp(ev["eval_loss"]))
        assert 0 <= event["chrf"] <= 100
        assert len(event["samples"]) == 2
        for sample in event["samples"]:
            assert sample["prompt"].endswith("<|im_start|>assistant\n")  # rendered as training did
            assert sample["reference"] and "<|im_end|>" not in sample["reference"]
            assert isinstance(sample["answer"], str)
    lines = describe_samples(samples[-1])
    assert lines[0].startswith("samples  step 60  perplexity ") and "chrF" in lines[0]
    assert lines[1] == f"  1. reference: {samples[-1]['samples'][0]['reference']}"
