"""completion, input_output and alpaca: exact input_ids and labels with the tiny tokenizer."""

from __future__ import annotations

from _data_helpers import enc, make_cfg, prepare, tokenizer_for, write_jsonl


def test_completion_appends_eos_and_trains_every_token(tiny_model_dir, tmp_path):
    text = "Onmelvel is a country whose capital is Stozor."
    data = write_jsonl(tmp_path / "c.jsonl", [{"text": text}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "completion"}])
    tok = tokenizer_for(cfg)
    rows = prepare(cfg).rows
    expected = tok(text)["input_ids"] + [tok.eos_token_id]  # tiny tokenizer adds no BOS of its own
    assert rows["input_ids"] == [expected]
    assert rows["labels"] == [expected]


def test_completion_custom_field_and_chunking(tiny_model_dir, tmp_path):
    text = "The Barim flows through Stozor. " * 6
    data = write_jsonl(tmp_path / "c.jsonl", [{"body": text}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "completion", "field": "body"}],
                   sequence_len=16)
    tok = tokenizer_for(cfg)
    full = tok(text)["input_ids"] + [tok.eos_token_id]
    assert len(full) > 32
    prepared = prepare(cfg)
    chunks = [full[i:i + 16] for i in range(0, len(full), 16)]
    assert prepared.rows["input_ids"] == chunks
    assert prepared.rows["labels"] == chunks
    assert prepared.stats["dropped"] == 0 and prepared.stats["rows"] == len(chunks)


def test_input_output_segments(tiny_model_dir, tmp_path):
    segs = [{"label": False, "text": "Question: capital of Loruka?\n"}, {"label": True, "text": "Zorba"},
            {"label": False, "text": "\n"}]
    data = write_jsonl(tmp_path / "io.jsonl", [{"segments": segs}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "input_output"}])
    tok = tokenizer_for(cfg)
    a, b, c = (enc(tok, s["text"]) for s in segs)
    rows = prepare(cfg).rows
    assert rows["input_ids"] == [a + b + c]  # no BOS/EOS added
    assert rows["labels"] == [[-100] * len(a) + b + [-100] * len(c)]


def test_input_output_train_on_inputs(tiny_model_dir, tmp_path):
    segs = [{"label": False, "text": "Question: capital of Loruka?\n"}, {"label": True, "text": "Zorba"}]
    data = write_jsonl(tmp_path / "io.jsonl", [{"segments": segs}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "input_output"}], train_on_inputs=True)
    tok = tokenizer_for(cfg)
    ids = enc(tok, segs[0]["text"]) + enc(tok, segs[1]["text"])
    rows = prepare(cfg).rows
    assert rows["labels"] == [ids] and rows["input_ids"] == [ids]


ALPACA_WITH_INPUT = ("Below is an instruction that describes a task, paired with an input that provides further "
                     "context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
                     "Name the capital.\n\n### Input:\nOnmelvel\n\n### Response:\n")
ALPACA_NO_INPUT = ("Below is an instruction that describes a task. Write a response that appropriately completes the "
                   "request.\n\n### Instruction:\nName the capital.\n\n### Response:\n")


def test_alpaca_prompt_is_context_and_the_output_ends_with_eos(tiny_model_dir, tmp_path):
    rows = [{"instruction": "Name the capital.", "input": "Onmelvel", "output": "Stozor"},
            {"instruction": "Name the capital.", "input": "", "output": "Stozor"},
            {"instruction": "Name the capital.", "output": "Stozor"}]  # no input: the shorter prompt
    data = write_jsonl(tmp_path / "a.jsonl", rows)
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "alpaca"}])
    tok = tokenizer_for(cfg)
    answer = [*enc(tok, "Stozor"), tok.eos_token_id]
    prompts = [tok(ALPACA_WITH_INPUT)["input_ids"]] + [tok(ALPACA_NO_INPUT)["input_ids"]] * 2
    got = prepare(cfg).rows
    assert got["input_ids"] == [p + answer for p in prompts]
    assert got["labels"] == [[-100] * len(p) + answer for p in prompts]


def test_alpaca_train_on_inputs_learns_the_prompt_too(tiny_model_dir, tmp_path):
    data = write_jsonl(tmp_path / "a.jsonl", [{"instruction": "Name the capital.", "output": "Stozor"}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": "alpaca"}], train_on_inputs=True)
    tok = tokenizer_for(cfg)
    ids = tok(ALPACA_NO_INPUT)["input_ids"] + enc(tok, "Stozor") + [tok.eos_token_id]
    got = prepare(cfg).rows
    assert got["input_ids"] == [ids] and got["labels"] == [ids]


def test_val_split_fraction_and_count(tiny_model_dir, tmp_path):
    data = write_jsonl(tmp_path / "c.jsonl", [{"text": f"Row number {i} of Stozor."} for i in range(50)])
    ds = [{"path": str(data), "type": "completion"}]
    p = prepare(make_cfg(tiny_model_dir, tmp_path, ds, val_set_size=0.2, seed=1))
    assert (len(p.train), len(p.eval)) == (40, 10)
    p2 = prepare(make_cfg(tiny_model_dir, tmp_path, ds, val_set_size=7, seed=1))
    assert (len(p2.train), len(p2.eval)) == (43, 7)
    # same seed -> same split; every row lands in exactly one side
    again = prepare(make_cfg(tiny_model_dir, tmp_path, ds, val_set_size=0.2, seed=1), use_cache=False)
    assert list(again.eval["input_ids"]) == list(p.eval["input_ids"])
    split = list(p.train["input_ids"]) + list(p.eval["input_ids"])
    assert sorted(map(tuple, split)) == sorted(map(tuple, p.rows["input_ids"]))
    other = prepare(make_cfg(tiny_model_dir, tmp_path, ds, val_set_size=0.2, seed=2))
    assert list(other.eval["input_ids"]) != list(p.eval["input_ids"])


def test_excess_length_drop_and_truncate(tiny_model_dir, tmp_path):
    short = {"segments": [{"label": True, "text": "Zorba"}]}
    long = {"segments": [{"label": False, "text": "Hi "}, {"label": True, "text": "The Barim flows. " * 10}]}
    data = write_jsonl(tmp_path / "io.jsonl", [short, long])
    ds = [{"path": str(data), "type": "input_output"}]
    dropped = prepare(make_cfg(tiny_model_dir, tmp_path, ds, sequence_len=12))
    assert dropped.stats["dropped"] == 1 and dropped.stats["rows"] == 1 and dropped.stats["truncated"] == 0
    cut = prepare(make_cfg(tiny_model_dir, tmp_path, ds, sequence_len=12, excess_length_strategy="truncate"))
    assert cut.stats["truncated"] == 1 and cut.stats["rows"] == 2
    assert max(map(len, cut.rows["input_ids"])) == 12


def test_ds_type_for_unusual_extension_and_hub_style_loader(tiny_model_dir, tmp_path):
    rows = [{"text": "Stozor is the capital."}, {"text": "The Barim flows."}]
    odd = write_jsonl(tmp_path / "rows.data", rows)
    a = prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": str(odd), "ds_type": "json"}]), use_cache=False)
    # a non-local path goes through datasets.load_dataset (here its packaged "json" builder, offline)
    b = prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": "json", "data_files": [str(odd)]}]), use_cache=False)
    assert list(a.rows["input_ids"]) == list(b.rows["input_ids"]) and len(a.rows) == 2


def test_json_layouts(tiny_model_dir, tmp_path):
    import json

    from engine.data.sources import read_json

    (tmp_path / "list.json").write_text(json.dumps([{"text": "a"}, {"text": "b"}], indent=2))
    (tmp_path / "cols.json").write_text(json.dumps({"text": ["a", "b"]}))
    (tmp_path / "one.json").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}, indent=2))
    (tmp_path / "lines.json").write_text('{"text": "a"}\n{"text": "b"}\n')
    assert read_json(tmp_path / "list.json").rows == [{"text": "a"}, {"text": "b"}]
    assert read_json(tmp_path / "cols.json").rows == [{"text": "a"}, {"text": "b"}]
    assert read_json(tmp_path / "one.json").rows == [{"messages": [{"role": "user", "content": "hi"}]}]
    assert read_json(tmp_path / "lines.json").locs == [(str(tmp_path / "lines.json"), 1, 0),
                                                       (str(tmp_path / "lines.json"), 2, 1)]


def test_preview_prints_examples_and_totals(tiny_model_dir, tmp_path, capsys):
    from engine.cli import main

    data = write_jsonl(tmp_path / "io.jsonl", [{"segments": [{"label": False, "text": "Question: Loruka?\n"},
                                                             {"label": True, "text": "Zorba"}]}])
    preset = tmp_path / "p.yaml"
    preset.write_text(f"base_model: {tiny_model_dir}\ndatasets:\n  - path: {data}\n    type: input_output\n"
                      f"output_dir: {tmp_path}/out\n")
    assert main(["preview", str(preset), "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "Question: Loruka?" in out and "Zorba" in out and "1 rows" in out and "learned" in out


def test_prepare_tokenizer_adds_tokens_and_a_pad_token(tiny_model_dir, tmp_path):
    from engine.data.tokenizer import apply_tokens

    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}], special_tokens={"eos_token": "<|im_end|>"},
                   tokens=["<|tool|>"], chat_template="llama3")
    tok = tokenizer_for(cfg)
    assert tok.eos_token == "<|im_end|>" and len(enc(tok, "<|tool|>")) == 1
    assert tok.chat_template.startswith("{{ bos_token }}")  # the preset's template, saved with the tokenizer
    bare = tokenizer_for(make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}]))
    size = len(bare)
    bare.pad_token = None
    apply_tokens(bare, make_cfg(tiny_model_dir, tmp_path, [{"path": "x"}]))
    assert bare.pad_token == bare.eos_token and len(bare) == size  # no new embedding row for padding


# Axolotl's AlpacaPrompter for `type: alpaca:chat` / `alpaca:phi` (src/axolotl/prompters.py), written out whole.
ALPACA_STYLED = {
    "alpaca:chat": (
        "SYSTEM: Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\nUSER: Name the capital.\nOnmelvel\nASSISTANT:",
        "SYSTEM: Below is an instruction that describes a task. Write a response that appropriately completes the "
        "request.\nUSER: Name the capital.\nASSISTANT:"),
    "alpaca:phi": (
        "<|system|>\nBelow is an instruction that describes a task, paired with an input that provides further "
        "context. Write a response that appropriately completes the request.<|end|>\n<|user|>\nName the capital."
        "<|end|>Onmelvel<|assistant|>",
        "<|system|>\nBelow is an instruction that describes a task. Write a response that appropriately completes "
        "the request.<|end|>\n<|user|>\nName the capital.<|end|>\n<|assistant|>\n"),
}


def test_alpaca_prompt_styles_are_axolotls(tiny_model_dir, tmp_path):
    rows = [{"instruction": "Name the capital.", "input": "Onmelvel", "output": "Stozor"},
            {"instruction": "Name the capital.", "output": "Stozor"}]
    data = write_jsonl(tmp_path / "a.jsonl", rows)
    for dataset_type, prompts in ALPACA_STYLED.items():
        cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data), "type": dataset_type}])
        tok = tokenizer_for(cfg)
        answer = [*enc(tok, "Stozor"), tok.eos_token_id]
        ids = [tok(p)["input_ids"] for p in prompts]
        got = prepare(cfg).rows
        assert got["input_ids"] == [p + answer for p in ids], dataset_type
        assert got["labels"] == [[-100] * len(p) + answer for p in ids], dataset_type
