"""type: prompt_answer renders H2O LLM Studio's rows to the tokens H2O builds (its rules, checked row by row)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests._data_helpers import enc, make_cfg, prepare, tokenizer_for

EOS = "</s>"  # the tiny tokenizer's EOS text
ROWS = [  # OASST-shaped: a2 continues a1; b1 stands alone; the system of a2 is never read (not a root)
    {"id": "a1", "parent_id": "", "instruction": "What is a tokenizer?", "output": "It splits text.",
     "system": "Be brief."},
    {"id": "a2", "parent_id": "a1", "instruction": "Why?", "output": "Models read tokens.", "system": "ignored"},
    {"id": "b1", "parent_id": "", "instruction": "Say hello.", "output": "Hello!", "system": ""},
]


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _entry(path: Path, **knobs) -> dict:
    return {"path": str(path), "type": "prompt_answer", "prompt_column": "instruction", "answer_column": "output",
            "system_column": "system", "parent_id_column": "parent_id", **knobs}


def _rows(tiny_model_dir, tmp_path, rows=ROWS, **knobs):
    top = {k: knobs.pop(k) for k in ("sequence_len", "train_on_inputs") if k in knobs}
    cfg = make_cfg(tiny_model_dir, tmp_path, [_entry(_csv(tmp_path / "train.csv", rows), **knobs)], **top)
    data = prepare(cfg, use_cache=False)
    return tokenizer_for(cfg), data


def _ctx(tok, text: str) -> tuple[list[int], list[int]]:
    ids = enc(tok, text)
    return ids, [-100] * len(ids)


def _learned(tok, text: str) -> tuple[list[int], list[int]]:
    ids = enc(tok, text)
    return ids, list(ids)


def _join(*parts: tuple[list[int], list[int]]) -> tuple[list[int], list[int]]:
    return [i for p in parts for i in p[0]], [lab for p in parts for lab in p[1]]


def test_single_turn_rows_are_h2o_pieces_with_the_prompt_masked(tiny_model_dir, tmp_path):
    tok, data = _rows(tiny_model_dir, tmp_path)
    b1 = data.rows[2]
    expect = _join(_ctx(tok, f"<|prompt|>Say hello.{EOS}<|answer|>"), _learned(tok, f"Hello!{EOS}"))
    assert (b1["input_ids"], b1["labels"]) == expect  # no system piece for an empty cell, no BOS
    assert tok.decode(b1["input_ids"]) == f"<|prompt|>Say hello.{EOS}<|answer|>Hello!{EOS}"


def test_parent_ids_chain_turns_and_the_system_opens_the_conversation(tiny_model_dir, tmp_path):
    tok, data = _rows(tiny_model_dir, tmp_path)
    assert len(data.rows) == 3  # one sample per row: a1 alone, a1+a2, b1
    a1_turn = (_ctx(tok, f"<|system|>Be brief.{EOS}"), _ctx(tok, f"<|prompt|>What is a tokenizer?{EOS}<|answer|>"),
               _learned(tok, f"It splits text.{EOS}"))
    assert (data.rows[0]["input_ids"], data.rows[0]["labels"]) == _join(*a1_turn)
    expect = _join(*a1_turn, _ctx(tok, f"<|prompt|>Why?{EOS}<|answer|>"), _learned(tok, f"Models read tokens.{EOS}"))
    assert (data.rows[1]["input_ids"], data.rows[1]["labels"]) == expect


def test_only_last_answer_and_limit_chained_samples(tiny_model_dir, tmp_path):
    tok, data = _rows(tiny_model_dir, tmp_path, only_last_answer=True, limit_chained_samples=True)
    assert len(data.rows) == 2  # a1 is continued by a2: only the ends a2 and b1 are samples
    expect = _join(_ctx(tok, f"<|system|>Be brief.{EOS}"),
                   _ctx(tok, f"<|prompt|>What is a tokenizer?{EOS}<|answer|>"), _ctx(tok, f"It splits text.{EOS}"),
                   _ctx(tok, f"<|prompt|>Why?{EOS}<|answer|>"), _learned(tok, f"Models read tokens.{EOS}"))
    assert (data.rows[0]["input_ids"], data.rows[0]["labels"]) == expect


def test_unmasked_prompts_and_no_eos_switches(tiny_model_dir, tmp_path):
    tok, data = _rows(tiny_model_dir, tmp_path, mask_prompt_labels=False, add_eos_token_to_prompt=False,
                      add_eos_token_to_answer=False, text_prompt_start="Q: ", text_answer_separator="\nA: ")
    b1 = data.rows[2]
    assert b1["input_ids"] == enc(tok, "Q: Say hello.\nA: ") + enc(tok, "Hello!")
    assert b1["labels"] == b1["input_ids"]


def test_length_limits_keep_prompt_end_answer_start_and_sample_end(tiny_model_dir, tmp_path):
    tok = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, []))
    rows = [{"id": "x", "parent_id": "", "instruction": "one two three four five six", "output": "seven eight nine ten",
             "system": ""}]
    prompt = enc(tok, f"<|prompt|>one two three four five six{EOS}<|answer|>")
    answer = enc(tok, f"seven eight nine ten{EOS}")
    assert len(prompt) > 5 and len(answer) > 4
    _, data = _rows(tiny_model_dir, tmp_path, rows, max_length_prompt=5, max_length_answer=4)
    assert data.rows[0]["input_ids"] == prompt[-5:] + answer[:3] + [tok.eos_token_id]
    seq = max(len(prompt), len(answer))  # each piece fits, the sample does not
    (tmp_path / "short").mkdir()
    _, data = _rows(tiny_model_dir, tmp_path / "short", rows, sequence_len=seq)
    assert data.rows[0]["input_ids"] == (prompt + answer)[-seq:]  # H2O keeps the end of the sample
    assert data.stats["truncated"] == 1


def test_parquet_rows_and_several_prompt_columns(tiny_model_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"q": ["Say"], "ctx": ["hello."], "a": ["Hello!"]}), path)
    entry = {"path": str(path), "type": "prompt_answer", "prompt_column": ["q", "ctx"], "answer_column": "a"}
    cfg = make_cfg(tiny_model_dir, tmp_path, [entry])
    data = prepare(cfg, use_cache=False)
    tok = tokenizer_for(cfg)
    assert data.rows[0]["input_ids"] == enc(tok, f"<|prompt|>Say\n\nhello.{EOS}<|answer|>") + enc(tok, f"Hello!{EOS}")


@pytest.mark.parametrize(("rows", "knobs", "says"), [
    ([{"id": "a", "parent_id": "", "instruction": "Hi"}], {}, "missing column 'output'"),
    ([{"id": "a", "parent_id": "b", "instruction": "Hi", "output": "x"},
      {"id": "b", "parent_id": "a", "instruction": "Hi", "output": "y"}], {"parent_id_column": "parent_id"}, "loop"),
    ([{"id": "a", "parent_id": "", "instruction": "Hi", "output": "x"},
      {"id": "a", "parent_id": "", "instruction": "Ho", "output": "y"}], {"parent_id_column": "parent_id"}, "unique"),
])
def test_bad_rows_say_where(tiny_model_dir, tmp_path, rows, knobs, says):
    from engine.data.errors import DataError

    with pytest.raises(DataError) as err:
        _rows(tiny_model_dir, tmp_path, rows, system_column=None, **knobs)
    assert says in str(err.value) and "train.csv:" in str(err.value)


def test_prompt_answer_keys_on_another_type_are_a_warning():
    from engine.knobs import Config
    from engine.knobs.rules import check_rules

    cfg = Config(base_model="org/model", datasets=[{"path": "d.jsonl", "answer_column": "output"},
                                                   {"path": "d.csv", "type": "prompt_answer", "answer_column": "o"}])
    problems = [(p.key, p.severity) for p in check_rules(cfg)]
    assert problems == [("datasets.0.answer_column", "warning")]
