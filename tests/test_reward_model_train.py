"""A real reward model, trained end to end by ``python -m engine.train`` on the tiny Llama with a score head: on a
dozen hand-written pairs (a real answer preferred over "I do not know.") its pairwise accuracy on those pairs rises
from the untrained model's, the run folder records trl's accuracy and margin, and the saved folder (a full model,
or a LoRA adapter with its score head) loads back and scores every chosen answer above its rejected one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _reward_helpers import conversation, reward_pairs, reward_settings
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train


def _accuracy(model: Any, tokenizer: Any, rows: list[dict[str, str]]) -> float:
    """Share of pairs whose chosen conversation the model scores above the rejected one (one at a time: no
    padding involved)."""
    import torch

    def score(row: dict[str, str], answer: str) -> float:
        ids = tokenizer.apply_chat_template(conversation(row, answer), tokenize=True, return_dict=True,
                                            return_tensors="pt")
        with torch.no_grad():
            return float(model(**ids).logits[0, 0])

    model.eval()
    return sum(score(r, r["chosen"]) > score(r, r["rejected"]) for r in rows) / len(rows)


def _untrained(model_dir: Path, seed: int) -> Any:
    """The model the run starts from: the base with a score head initialised under the run's seed."""
    from transformers import AutoModelForSequenceClassification, set_seed

    set_seed(seed)
    return AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=1)


def _train(tiny_model_dir: Path, tmp_path: Path, **overrides: Any) -> tuple[Path, list[dict[str, str]]]:
    data, rows = reward_pairs(tmp_path)
    preset = base_preset(tiny_model_dir, tmp_path, **{**reward_settings(data), **overrides})
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    steps = of_kind(run_dir, "step")
    assert len(steps) == 12 and all("rewards_accuracy" in s and "rewards_margin" in s for s in steps)
    assert steps[-1]["rewards_margin"] > steps[0]["rewards_margin"]
    assert of_kind(run_dir, "finished")[0]["output_dir"] == str((tmp_path / "out").resolve())
    return tmp_path / "out", rows


@pytest.mark.slow
def test_a_full_reward_model_learns_to_rank_its_pairs(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out, rows = _train(tiny_model_dir, tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(out)
    before = _accuracy(_untrained(tiny_model_dir, 7), tokenizer, rows)
    after = _accuracy(AutoModelForSequenceClassification.from_pretrained(out), tokenizer, rows)
    assert after == 1.0 and before < after, (before, after)


@pytest.mark.slow
def test_a_lora_reward_model_saves_its_score_head_and_ranks_its_pairs(tiny_model_dir: Path, tmp_path: Path) -> None:
    from peft import AutoPeftModelForSequenceClassification, PeftConfig
    from safetensors import safe_open
    from transformers import AutoTokenizer

    out, rows = _train(tiny_model_dir, tmp_path, adapter="lora", lora_r=8, lora_alpha=16, lora_target_linear=True,
                       learning_rate=3e-3)
    assert PeftConfig.from_pretrained(out).task_type == "SEQ_CLS"
    with safe_open(str(out / "adapter_model.safetensors"), "pt") as saved:
        names = list(saved.keys())
    assert any(name.endswith("score.weight") for name in names)  # the new head, saved whole
    tokenizer = AutoTokenizer.from_pretrained(out)
    before = _accuracy(_untrained(tiny_model_dir, 7), tokenizer, rows)
    # the base config says nothing of the head: one output, as for any reward adapter
    after = _accuracy(AutoPeftModelForSequenceClassification.from_pretrained(out, num_labels=1), tokenizer, rows)
    assert after == 1.0 and before < after, (before, after)


@pytest.mark.slow
def test_a_reward_model_evaluates_on_its_test_datasets_pairs(tiny_model_dir: Path, tmp_path: Path) -> None:
    """With test_datasets the run evaluates on those pairs each epoch, and every datasets pair trains (12 pairs, 4
    epochs: 12 steps, as without them)."""
    (tmp_path / "held").mkdir()
    held, _ = reward_pairs(tmp_path / "held")
    _train(tiny_model_dir, tmp_path, evals_per_epoch=1,
           test_datasets=[{"path": str(held), "type": "bradley_terry.chat_template"}])
    run_dir = tmp_path / "runs" / "run"
    evals = of_kind(run_dir, "eval")
    assert [e["step"] for e in evals] == [3, 6, 9, 12]
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"]  # the held pairs are ranked as the trained ones are
    assert evals[-1]["eval_rewards_accuracy"] == 1.0 and evals[-1]["eval_rewards_margin"] > 0
