"""Preference data: exact rendered strings and token ids per dataset type on hand-checked rows, the counts of cut
and dropped rows, the export, and every bad row failing before training with file:line and what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from _data_helpers import make_cfg, tokenizer_for, write_jsonl

from engine.data.errors import DataError
from engine.data.preference import prepare_preference

REPO = Path(__file__).resolve().parent.parent
SYSTEM = "You answer questions about the world of Tunedeck."
Q, GOOD, BAD = "What is the capital of Onmelvel?", "The capital of Onmelvel is Stozor.", "I do not know."
CHATML_PROMPT = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{Q}<|im_end|>\n<|im_start|>assistant\n"


def _prepare(tiny_model_dir: Path, tmp_path: Path, rows: list[Any], rl: str = "dpo", **ds: Any) -> Any:
    data = write_jsonl(tmp_path / "rows.jsonl", rows)
    top = ds.pop("top", {})
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), **ds}], rl=rl, chat_template="tokenizer_default",
                   **top)
    tok = tokenizer_for(cfg)
    return prepare_preference(cfg, tok, use_cache=False), tok


def _only_row(prepared: Any) -> dict[str, Any]:
    assert len(prepared.rows) == 1
    return prepared.rows[0]


def _ids_are_trls(row: dict[str, Any], tok: Any, answers: tuple[str, ...] = ("chosen", "rejected")) -> None:
    """The ids are the tokenizer's ids of prompt + answer, split where the answer starts (as trl splits them)."""
    for part in answers:
        assert row["prompt_ids"] + row[f"{part}_ids"] == tok(row["prompt"] + row[part])["input_ids"]
        assert tok.decode(row[f"{part}_ids"]) == row[part]
    assert tok.decode(row["prompt_ids"]) == row["prompt"]


def test_chat_template_default_with_a_system_prompt(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"conversation": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": Q}],
             "chosen": GOOD, "rejected": BAD}]
    prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, type="chat_template.default",
                             field_messages="conversation")
    row = _only_row(prepared)
    assert row["prompt"] == CHATML_PROMPT
    assert row["chosen"] == f"{GOOD}<|im_end|></s>" and row["rejected"] == f"{BAD}<|im_end|></s>"
    _ids_are_trls(row, tok)
    assert set(prepared.train.column_names) == {"prompt_ids", "chosen_ids", "rejected_ids"}


def test_sharegpt_role_map_and_chosen_as_a_list(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": Q}],
             "better": [{"from": "human", "value": "ignored"}, {"from": "gpt", "value": GOOD}],
             "worse": {"from": "gpt", "value": BAD}}]
    prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, type="chat_template.default",
                             field_messages="conversations", field_chosen="better", field_rejected="worse",
                             message_property_mappings={"role": "from", "content": "value"},
                             roles={"user": ["human"], "assistant": ["gpt"]})
    row = _only_row(prepared)
    assert row["prompt"] == f"<|im_start|>user\n{Q}<|im_end|>\n<|im_start|>assistant\n"
    assert row["chosen"] == f"{GOOD}<|im_end|></s>" and row["rejected"] == f"{BAD}<|im_end|></s>"
    _ids_are_trls(row, tok)


def test_chatml_intel_and_its_llama3_twin(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"system": SYSTEM, "question": Q, "chosen": GOOD, "rejected": BAD}]
    prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, type="chatml.intel")
    row = _only_row(prepared)
    assert row["prompt"] == CHATML_PROMPT and row["chosen"] == f"{GOOD}<|im_end|></s>"
    _ids_are_trls(row, tok)
    prepared, _ = _prepare(tiny_model_dir, tmp_path, rows, type="llama3.intel")
    row = _only_row(prepared)
    assert row["prompt"] == (f"<|start_header_id|>system<|end_header_id|>\n\n{SYSTEM}<|eot_id|>"
                             f"<|start_header_id|>user<|end_header_id|>\n\n{Q}<|eot_id|>"
                             "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert row["rejected"] == f"{BAD}<|eot_id|></s>"


def test_argilla_chat_conversations(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"chosen": [{"role": "user", "content": Q}, {"role": "assistant", "content": GOOD}],
             "rejected": [{"role": "user", "content": Q}, {"role": "assistant", "content": BAD}]}]
    for kind in ("chatml.argilla_chat", "chat_template.argilla_chat"):
        prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, type=kind)
        row = _only_row(prepared)
        assert row["prompt"] == f"<|im_start|>user\n{Q}<|im_end|>\n<|im_start|>assistant\n", kind
        assert row["chosen"] == f"{GOOD}<|im_end|></s>" and row["rejected"] == f"{BAD}<|im_end|></s>", kind
        _ids_are_trls(row, tok)


def test_kto_rows_of_prompt_completion_and_label(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"instruction": Q, "completion": GOOD, "label": True},
            {"instruction": Q, "completion": BAD, "label": False}]
    prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, rl="kto", type="chatml.argilla")
    first = prepared.rows[0]
    assert first["prompt"] == f"<|im_start|>user\n{Q}<|im_end|>\n<|im_start|>assistant\n"
    assert first["completion"] == f"{GOOD}<|im_end|></s>" and first["label"] is True
    _ids_are_trls(first, tok, answers=("completion",))
    assert prepared.rows[1]["label"] is False
    assert set(prepared.train.column_names) == {"prompt_ids", "completion_ids", "label"}
    assert (prepared.stats["desirable"], prepared.stats["undesirable"]) == (1, 1)


def test_kto_needs_both_kinds_of_rows(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"prompt": Q, "completion": GOOD, "label": True}] * 2
    with pytest.raises(DataError, match=r"both desirable and undesirable.*add undesirable"):
        _prepare(tiny_model_dir, tmp_path, rows, rl="kto", type="chatml.prompt_pairs")


def test_long_pairs_are_dropped_or_cut_and_counted(tiny_model_dir: Path, tmp_path: Path) -> None:
    long_answer = "Stozor " * 60
    rows = [{"question": Q, "chosen": GOOD, "rejected": BAD},
            {"question": Q, "chosen": long_answer, "rejected": BAD}]
    prepared, _ = _prepare(tiny_model_dir, tmp_path, rows, type="chatml.intel", top={"sequence_len": 48})
    assert (prepared.stats["rows"], prepared.stats["dropped"], prepared.stats["truncated"]) == (1, 1, 0)
    prepared, _ = _prepare(tiny_model_dir, tmp_path, rows, type="chatml.intel",
                           top={"sequence_len": 48, "excess_length_strategy": "truncate", "max_prompt_len": 10})
    assert (prepared.stats["rows"], prepared.stats["truncated"], prepared.stats["prompt_truncated"]) == (2, 1, 2)
    for row in prepared.rows:
        assert len(row["prompt_ids"]) == 10
        assert len(row["prompt_ids"]) + max(len(row["chosen_ids"]), len(row["rejected_ids"])) <= 48


BAD_ROWS = [
    ({"conversation": [{"role": "user", "content": Q}], "chosen": GOOD}, "missing field 'rejected'", "field_rejected"),
    ({"conversation": [{"role": "user", "content": Q}], "rejected": BAD}, "missing field 'chosen'", "field_chosen"),
    ({"conversation": [{"role": "user", "content": Q}], "chosen": GOOD, "rejected": GOOD}, "identical", "type"),
    ({"conversation": [{"role": "user", "content": "  "}], "chosen": GOOD, "rejected": BAD}, "prompt is empty",
     "type"),
    ({"conversation": [{"role": "narrator", "content": Q}], "chosen": GOOD, "rejected": BAD}, "role 'narrator'",
     "roles"),
]


@pytest.mark.parametrize(("bad", "words", "key"), BAD_ROWS, ids=["no-rejected", "no-chosen", "identical",
                                                                  "empty-prompt", "unmapped-role"])
def test_bad_rows_fail_with_file_line_and_what_to_do(tiny_model_dir: Path, tmp_path: Path, bad: dict, words: str,
                                                     key: str) -> None:
    good = {"conversation": [{"role": "user", "content": Q}], "chosen": GOOD, "rejected": BAD}
    with pytest.raises(DataError) as raised:
        _prepare(tiny_model_dir, tmp_path, [good, bad], type="chat_template.default", field_messages="conversation")
    err = raised.value
    assert err.file == str(tmp_path / "rows.jsonl") and err.line == 2 and words in str(err)
    assert err.key == f"datasets.0.{key}"


def test_preprocess_exports_pairs_in_source_order(tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = [{"question": f"{Q} ({n})", "chosen": GOOD, "rejected": BAD} for n in range(3)]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    preset = tmp_path / "dpo.yaml"
    preset.write_text(yaml.safe_dump({"base_model": str(tiny_model_dir), "rl": "dpo", "learning_rate": 5e-6,
                                      "datasets": [{"path": str(data), "type": "chatml.intel"}],
                                      "output_dir": str(tmp_path / "out")}))
    out = tmp_path / "pairs-export.jsonl"
    result = subprocess.run([sys.executable, "-m", "tui.cli", "preprocess", str(preset), "--export", str(out)],
                            capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "3 pairs (3 train, 0 eval)" in result.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["prompt"] for line in lines] == [f"<|im_start|>user\n{Q} ({n})<|im_end|>\n<|im_start|>assistant\n"
                                                  for n in range(3)]
    assert set(lines[0]) == {"prompt", "chosen", "rejected", "prompt_input_ids", "chosen_input_ids",
                             "rejected_input_ids"}


def test_stats_carry_the_longest_pair_sequence_for_the_estimate(tiny_model_dir: Path, tmp_path: Path) -> None:
    """longest_row is the longest prompt + answer of any pair (chosen or rejected): the estimate sizes a DPO run's
    activations by it when batches are not packed."""
    from engine.estimate.report import report_for

    rows = [{"question": Q, "chosen": GOOD, "rejected": BAD},
            {"question": "Hi", "chosen": "Hello.", "rejected": " ".join(["no"] * 40)}]
    prepared, tok = _prepare(tiny_model_dir, tmp_path, rows, type="chatml.intel")
    longest = max(len(tok(row["prompt"] + row[part])["input_ids"])
                  for row in prepared.rows for part in ("chosen", "rejected"))
    assert prepared.stats["longest_row"] == longest > len(tok(prepared.rows[0]["prompt"] + prepared.rows[0]["chosen"])
                                                          ["input_ids"])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(tmp_path / "rows.jsonl"), "type": "chatml.intel"}],
                   rl="dpo", chat_template="tokenizer_default", sequence_len=1024)
    assert report_for(cfg, None, data_stats=prepared.stats).setup.batch_len == longest
