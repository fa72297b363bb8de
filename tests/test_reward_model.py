"""Reward-model training (``reward_model: true``): the knobs and rules as Axolotl has them, and the
``bradley_terry.chat_template`` pairs as the trainer gets them (whole conversations through the chat template)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _data_helpers import make_cfg, tokenizer_for, write_jsonl
from _preset_helpers import write

from engine.data.errors import DataError
from engine.data.preference import prepare_preference
from engine.preset import load_preset

REWARD = """\
base_model: org/Some-Model-Instruct
reward_model: true
chat_template: chatml
datasets:
  - path: pairs.jsonl
    type: bradley_terry.chat_template
"""
SYSTEM = "You answer questions about the world of Tunedeck."
Q, GOOD, BAD = "What is the capital of Onmelvel?", "The capital of Onmelvel is Stozor.", "I do not know."


def _problems(tmp_path: Path, extra: str) -> dict[str, tuple[str, str]]:
    preset = load_preset(write(tmp_path, REWARD + extra))
    return {p.key: (p.severity, p.message) for p in preset.problems}


def test_a_reward_model_preset_loads_clean(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path, REWARD + "num_labels: 1\ncenter_rewards_coefficient: 0.01\n"))
    assert preset.problems == []
    assert preset.config.reward_model and preset.config.center_rewards_coefficient == 0.01


@pytest.mark.parametrize(("extra", "key", "words"), [
    ("rl: dpo\n", "reward_model", "not both"),
    ("sample_packing: true\n", "sample_packing", "cannot be packed"),
    ("num_labels: 2\n", "num_labels", "set num_labels: 1"),
    ("adapter: prompt_tuning\nnum_virtual_tokens: 8\n", "adapter", "adapter: lora"),
])
def test_what_a_reward_model_cannot_go_with_is_an_error(tmp_path: Path, extra: str, key: str, words: str) -> None:
    severity, message = _problems(tmp_path, extra)[key]
    assert severity == "error" and words in message


def test_test_datasets_are_a_reward_models_evaluation_pairs(tmp_path: Path) -> None:
    """test_datasets of bradley_terry pairs validate with reward_model (its evaluation set); another type there is
    an error on that entry's type."""
    pairs = "test_datasets:\n  - path: more.jsonl\n    type: bradley_terry.chat_template\n"
    assert load_preset(write(tmp_path, REWARD + pairs)).problems == []
    errors = {p.key: p.message for p in load_preset(write(tmp_path, REWARD + pairs.replace(
        "bradley_terry.chat_template", "chat_template"))).errors}
    assert "bradley_terry.chat_template" in errors["test_datasets.0.type"]


def test_the_data_type_and_the_kind_of_training_must_agree(tmp_path: Path) -> None:
    sft_type = REWARD.replace("type: bradley_terry.chat_template", "type: chat_template")
    errors = {p.key: p.message for p in load_preset(write(tmp_path, sft_type)).errors}
    assert "bradley_terry.chat_template" in errors["datasets.0.type"]
    without = REWARD.replace("reward_model: true\n", "")
    errors = {p.key: p.message for p in load_preset(write(tmp_path, without)).errors}
    assert "set reward_model: true" in errors["datasets.0.type"]


def test_reward_knobs_without_a_reward_model_are_ignored_with_a_warning(tmp_path: Path) -> None:
    text = "base_model: m\ncenter_rewards_coefficient: 0.01\nnum_labels: 1\ndatasets:\n  - path: d.jsonl\n"
    warnings = {p.key: p.message for p in load_preset(write(tmp_path, text)).warnings}
    assert {"center_rewards_coefficient", "num_labels"} <= set(warnings)
    assert "only reward_model: true reads it" in warnings["num_labels"]


def test_another_bradley_terry_variant_is_refused_by_name(tmp_path: Path) -> None:
    errors = {p.key: p.message for p in load_preset(write(tmp_path, REWARD.replace(
        "bradley_terry.chat_template", "bradley_terry.llama3"))).errors}
    assert "use bradley_terry.chat_template" in errors["datasets.0.type"]
    assert "expected one of" not in errors["datasets.0.type"]


# --- the pairs as the trainer gets them ------------------------------------------------------------------------

def _prepare(tiny_model_dir: Path, tmp_path: Path, rows: list[Any], **top: Any) -> Any:
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "bradley_terry.chat_template"}],
                   reward_model=True, chat_template="tokenizer_default", **top)
    tok = tokenizer_for(cfg)
    return prepare_preference(cfg, tok, use_cache=False), tok


def _conversation_ids(tok: Any, system: str, answer: str) -> list[int]:
    turns = [{"role": "system", "content": system}] if system else []
    turns += [{"role": "user", "content": Q}, {"role": "assistant", "content": answer}]
    return tok.apply_chat_template(turns, tokenize=True, return_dict=True)["input_ids"]


def test_test_datasets_pairs_are_the_evaluation_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Every pair of datasets trains and the pairs of test_datasets are the evaluation set, rendered the same way."""
    train = [{"system": SYSTEM, "input": f"{Q} ({i})", "chosen": GOOD, "rejected": BAD} for i in range(5)]
    held = [{"system": "", "input": f"Held out {i}?", "chosen": GOOD, "rejected": BAD} for i in range(3)]
    test_data = write_jsonl(tmp_path / "held.jsonl", held)
    prepared, tok = _prepare(tiny_model_dir, tmp_path, train, test_datasets=[
        {"path": str(test_data), "type": "bradley_terry.chat_template"}])
    assert len(prepared.train) == 5 and prepared.eval is not None and len(prepared.eval) == 3
    first = prepared.eval[0]
    turns = [{"role": "user", "content": "Held out 0?"}, {"role": "assistant", "content": GOOD}]
    assert first["prompt_ids"] + first["chosen_ids"] == tok.apply_chat_template(
        turns, tokenize=True, return_dict=True)["input_ids"]


@pytest.mark.parametrize("system", [SYSTEM, ""])
def test_each_answer_is_the_whole_conversation_as_the_chat_template_renders_it(
        tiny_model_dir: Path, tmp_path: Path, system: str) -> None:
    prepared, tok = _prepare(tiny_model_dir, tmp_path,
                             [{"system": system, "input": Q, "chosen": GOOD, "rejected": BAD}])
    [row] = prepared.rows
    for part, answer in (("chosen", GOOD), ("rejected", BAD)):
        # the rendered conversation's own ids: no EOS appended, no special tokens beyond the template's
        assert row["prompt_ids"] + row[f"{part}_ids"] == _conversation_ids(tok, system, answer)
        assert row[part] == f"{answer}<|im_end|>\n"
    assert row["prompt"].endswith(f"<|im_start|>user\n{Q}<|im_end|>\n<|im_start|>assistant\n")
    assert prepared.stats["preference"] == "reward_model"


def test_long_pairs_follow_excess_length_strategy(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"input": Q, "chosen": GOOD, "rejected": BAD},
            {"input": Q, "chosen": GOOD + " And more." * 40, "rejected": BAD}]
    prepared, _ = _prepare(tiny_model_dir, tmp_path, rows, sequence_len=64)
    assert (prepared.stats["rows"], prepared.stats["dropped"]) == (1, 1)
    prepared, _ = _prepare(tiny_model_dir, tmp_path, rows, sequence_len=64, excess_length_strategy="truncate")
    assert prepared.stats["truncated"] == 1
    assert max(len(r["prompt_ids"]) + len(r["chosen_ids"]) for r in prepared.rows) == 64


@pytest.mark.parametrize(("row", "words"), [
    ({"input": Q, "chosen": GOOD}, "field 'rejected' is missing"),
    ({"input": "  ", "chosen": GOOD, "rejected": BAD}, "field 'input' is empty"),
    ({"input": Q, "chosen": GOOD, "rejected": GOOD}, "identical"),
    ({"input": Q, "chosen": ["a"], "rejected": BAD}, "field 'chosen' is a list"),
])
def test_bad_pairs_fail_with_file_and_line(tiny_model_dir: Path, tmp_path: Path, row: dict, words: str) -> None:
    good = {"input": Q, "chosen": GOOD, "rejected": BAD}
    with pytest.raises(DataError) as caught:
        _prepare(tiny_model_dir, tmp_path, [good, row])
    assert words in str(caught.value) and "pairs.jsonl" in str(caught.value) and ":2" in str(caught.value)
