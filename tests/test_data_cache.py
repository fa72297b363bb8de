"""The tokenized-data cache: hit, miss on any change that matters, atomic entries; export and preview CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from _data_helpers import make_cfg, tokenizer_for, write_jsonl

from engine.data.prepare import prepare_datasets


def _setup(tiny_model_dir, tmp_path, **top):
    data = write_jsonl(tmp_path / "c.jsonl", [{"text": "Stozor is the capital."}, {"text": "Zorba too."}])
    cfg = make_cfg(tiny_model_dir, tmp_path, [{"path": str(data)}], **top)
    return data, cfg, tokenizer_for(cfg)


def test_hit_then_miss_on_same_size_content_edit(tiny_model_dir, tmp_path):
    data, cfg, tok = _setup(tiny_model_dir, tmp_path)
    first = prepare_datasets(cfg, tok)
    assert not first.cache_hit and first.cache_dir.startswith(str(tmp_path / "last_run_prepared"))
    second = prepare_datasets(cfg, tok)
    assert second.cache_hit and second.cache_dir == first.cache_dir
    assert list(second.train["input_ids"]) == list(first.train["input_ids"])
    stat = data.stat()
    data.write_text(data.read_text().replace("Zorba", "Barim"))  # same size, same mtime
    import os

    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = prepare_datasets(cfg, tok)
    assert not third.cache_hit and third.cache_dir != first.cache_dir
    assert list(third.train["input_ids"]) != list(first.train["input_ids"])


def test_miss_on_settings_and_tokenizer(tiny_model_dir, tmp_path):
    _data, cfg, tok = _setup(tiny_model_dir, tmp_path)
    base = prepare_datasets(cfg, tok)
    longer = prepare_datasets(cfg.model_copy(update={"sequence_len": 300}), tok)
    assert not longer.cache_hit and longer.cache_dir != base.cache_dir
    tok.add_tokens(["Stozor"])  # a changed vocabulary changes ids
    retok = prepare_datasets(cfg, tok)
    assert not retok.cache_hit and retok.cache_dir != base.cache_dir


def test_dataset_prepared_path_and_atomic_layout(tiny_model_dir, tmp_path):
    _data, cfg, tok = _setup(tiny_model_dir, tmp_path, dataset_prepared_path=str(tmp_path / "prep"),
                            val_set_size=1)
    p = prepare_datasets(cfg, tok)
    root = tmp_path / "prep"
    entries = [x.name for x in root.iterdir()]
    assert entries == [p.cache_dir.split("/")[-1]]  # no temp folders left behind
    assert {x.name for x in (root / entries[0]).iterdir()} == {"rows", "train", "eval", "stats.json"}
    again = prepare_datasets(cfg, tok)
    assert again.cache_hit and len(again.eval) == 1 and again.stats == p.stats


def _preset(tmp_path, tiny_model_dir, rows_file, **extra) -> str:
    lines = [f"base_model: {tiny_model_dir}", "datasets:", f"  - path: {rows_file.name}", "    type: chat_template",
             "  - path: facts.jsonl", f"output_dir: {tmp_path}/out", "sequence_len: 128"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    preset = tmp_path / "p.yaml"
    preset.write_text("\n".join(lines) + "\n")
    return str(preset)


def test_preprocess_export_and_preview_json(tiny_model_dir, tmp_path):
    from conftest import REPO

    chat = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]}
        for i in range(4)])
    write_jsonl(tmp_path / "facts.jsonl", [{"text": "Loruka is a country."}])
    preset = _preset(tmp_path, tiny_model_dir, chat, val_set_size=2, sample_packing="true")
    out = tmp_path / "export.jsonl"
    elsewhere = tmp_path.parent  # relative data paths resolve beside the preset
    run = subprocess.run([sys.executable, "-m", "engine.cli", "preprocess", preset, "--export", str(out)],
                         capture_output=True, text=True, cwd=elsewhere, env=_env(REPO))
    assert run.returncode == 0, run.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 5 and all(set(x) == {"input_ids", "labels"} for x in lines)
    assert all(len(x["input_ids"]) == len(x["labels"]) for x in lines)
    tok = _tok(tiny_model_dir)
    # source order: the four conversations, then the fact; masked positions are -100
    learned = [[i for i, lab in zip(x["input_ids"], x["labels"], strict=False) if lab != -100] for x in lines[:4]]
    assert [tok.decode(ids) for ids in learned] == [f"Answer {i}." for i in range(4)]
    assert lines[4]["labels"] == lines[4]["input_ids"]
    view = subprocess.run([sys.executable, "-m", "engine.cli", "preview", preset, "-n", "2", "--dataset", "0",
                           "--json"], capture_output=True, text=True, cwd=elsewhere, env=_env(REPO))
    assert view.returncode == 0, view.stderr
    data = json.loads(view.stdout)
    assert data["stats"]["rows"] == 5 and data["stats"]["eval_rows"] == 2 and data["stats"]["sample_packing"]
    assert len(data["examples"]) == 2
    first = data["examples"][0]
    assert [s["text"] for s in first["segments"] if s["trained"]] == ["Answer 0."]
    assert "".join(s["text"] for s in first["segments"]) == \
        "<|im_start|>user\nQuestion 0?<|im_end|>\n<|im_start|>assistant\nAnswer 0.<|im_end|>\n"
    assert first["num_tokens"] == len(lines[0]["input_ids"])
    trained = sum(lab != -100 for lab in lines[0]["labels"])
    assert (first["num_trained"], first["num_masked"]) == (trained, first["num_tokens"] - trained)
    assert sum(s["num_tokens"] for s in first["segments"]) == first["num_tokens"]
    assert sum(s["num_tokens"] for s in first["segments"] if s["trained"]) == trained


def _env(repo):
    import os

    return {**os.environ, "PYTHONPATH": str(repo)}


def _tok(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)
