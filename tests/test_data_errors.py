"""Bad data fails before training, saying file:line and what to do."""

from __future__ import annotations

import json

import pytest
from _data_helpers import make_cfg, prepare, write_jsonl

from engine.data.errors import DataError


def fails(tiny_model_dir, tmp_path, datasets, **top) -> DataError:
    with pytest.raises(DataError) as info:
        prepare(make_cfg(tiny_model_dir, tmp_path, datasets, **top), use_cache=False)
    return info.value


def test_malformed_jsonl_line(tiny_model_dir, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n\n{"text": "broken\n{"text": "ok"}\n')
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path)}])
    assert (err.file, err.line) == (str(path), 3)
    assert f"{path}:3:" in str(err) and "malformed JSON" in str(err)


def test_missing_field_names_line_field_and_present_fields(tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"text": "a"}, {"body": "b", "id": 2}])
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "completion"}])
    assert err.line == 2 and "'text'" in str(err) and "'body', 'id'" in str(err) and "field:" in str(err)


def test_missing_messages_field(tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"conversations": []}])
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "chat_template"}])
    assert err.line == 1 and "'messages'" in str(err) and "'conversations'" in str(err)
    assert "field_messages" in str(err)


def test_message_without_role_suggests_mapping(tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"messages": [{"from": "human", "value": "hi"}]}])
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "chat_template"}])
    assert err.line == 1 and "message_property_mappings" in str(err) and "'from', 'value'" in str(err)


def test_unknown_role_suggests_roles_mapping(tiny_model_dir, tmp_path):
    rows = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
            {"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "yo"}]}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "chat_template"}])
    assert err.line == 2 and "'bot'" in str(err) and "roles:" in str(err) and err.key == "datasets.0.roles"


def test_empty_dataset(tiny_model_dir, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path)}])
    assert "no rows" in str(err) and str(path) in str(err)


def test_all_rows_too_long(tiny_model_dir, tmp_path):
    rows = [{"segments": [{"label": True, "text": "The Barim flows through Stozor. " * 5}]}] * 3
    path = write_jsonl(tmp_path / "io.jsonl", rows)
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "input_output"}], sequence_len=8)
    assert "all 3 rows" in str(err) and "sequence_len" in str(err) and "excess_length_strategy: truncate" in str(err)


def test_bad_segments(tiny_model_dir, tmp_path):
    path = write_jsonl(tmp_path / "io.jsonl", [{"segments": [{"text": "no label"}]}])
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "input_output"}])
    assert err.line == 1 and "segment 1" in str(err) and "'label'" in str(err)


def test_alpaca_row_without_output_or_with_a_number(tiny_model_dir, tmp_path):
    rows = [{"instruction": "Name it.", "output": "Stozor"}, {"instruction": "Name it.", "response": "Stozor"}]
    err = fails(tiny_model_dir, tmp_path, [{"path": str(write_jsonl(tmp_path / "a.jsonl", rows)), "type": "alpaca"}])
    assert err.line == 2 and "missing field 'output'" in str(err) and "'instruction', 'response'" in str(err)
    rows = [{"instruction": "Count.", "input": 3, "output": "3"}]
    err = fails(tiny_model_dir, tmp_path, [{"path": str(write_jsonl(tmp_path / "b.jsonl", rows)), "type": "alpaca"}])
    assert err.line == 1 and "field 'input' must be text, got int" in str(err)


def test_missing_path_and_uncached_hub_id(tiny_model_dir, tmp_path):
    err = fails(tiny_model_dir, tmp_path, [{"path": "./nope/data.jsonl"}])
    assert "does not exist" in str(err) and err.key == "datasets.0.path"
    err = fails(tiny_model_dir, tmp_path, [{"path": "someone/not-cached-dataset"}])
    assert "someone/not-cached-dataset" in str(err) and "offline" in str(err).lower()


def test_no_trainable_tokens(tiny_model_dir, tmp_path):
    rows = [{"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}]}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    err = fails(tiny_model_dir, tmp_path, [{"path": str(path), "type": "chat_template"}])
    assert "roles_to_train" in str(err)


def test_csv_line_numbers_and_folder_of_files(tiny_model_dir, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text('text\n"multi\nline row"\n"next"\n')
    write_jsonl(folder / "b.jsonl", [{"text": "from jsonl"}])
    (folder / "c.txt").write_text("first line\n\nsecond line\n")
    p = prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": str(folder)}]), use_cache=False)
    assert p.stats["source_rows"] == 5
    (folder / "a.csv").write_text('body\n"x"\n"y"\n')
    err = fails(tiny_model_dir, tmp_path, [{"path": str(folder)}])
    assert (err.file, err.line) == (str(folder / "a.csv"), 2)


def test_cli_exit_2_and_json_error(tiny_model_dir, tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n')
    preset = tmp_path / "p.yaml"
    preset.write_text(f"base_model: {tiny_model_dir}\ndatasets:\n  - path: {bad}\noutput_dir: {tmp_path}/out\n")
    cmd = [sys.executable, "-m", "engine.cli", "preview", str(preset)]
    out = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 2
    error = json.loads(out.stdout)["error"]
    assert (error["file"], error["line"]) == (str(bad), 2) and "malformed JSON" in error["message"]
    plain = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and f"{bad}:2" in plain.stderr.replace("\n", "")


def test_num_proc_workers_keep_order_and_error_location(tiny_model_dir, tmp_path):
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                          {"role": "assistant", "content": f"Answer {i}."}]} for i in range(2400)]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    ds = [{"path": str(path), "type": "chat_template"}]
    one = prepare(make_cfg(tiny_model_dir, tmp_path, ds), use_cache=False)
    two = prepare(make_cfg(tiny_model_dir, tmp_path, ds), use_cache=False, num_proc=2)
    assert list(two.rows["input_ids"]) == list(one.rows["input_ids"])
    assert list(two.rows["labels"]) == list(one.rows["labels"])
    rows[2000]["messages"][1]["role"] = "narrator"
    write_jsonl(path, rows)
    with pytest.raises(DataError) as info:
        prepare(make_cfg(tiny_model_dir, tmp_path, ds), use_cache=False, num_proc=2)
    assert (info.value.file, info.value.line, info.value.key) == (str(path), 2001, "datasets.0.roles")


def test_system_column_becomes_first_turn(tiny_model_dir, tmp_path):
    from _data_helpers import tokenizer_for, trained_text

    row = {"system": "Be brief.", "messages": [{"role": "user", "content": "Hi"},
                                               {"role": "assistant", "content": "Hello"}]}
    path = write_jsonl(tmp_path / "c.jsonl", [row])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(path), "type": "chat_template"}])
    p = prepare(cfg, use_cache=False)
    tok = tokenizer_for(cfg)
    assert tok.decode(p.rows["input_ids"][0]).startswith("<|im_start|>system\nBe brief.<|im_end|>")
    assert trained_text(tok, p.rows["input_ids"][0], p.rows["labels"][0]) == ["Hello"]
