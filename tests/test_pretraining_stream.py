"""Streamed pretraining_dataset: Axolotl's example shapes accepted, the rules around it, and the reader (full blocks
of the documents in order, read lazily, clear errors for missing data)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from _data_helpers import make_cfg, tokenizer_for, write_jsonl

from engine.data.errors import DataError
from engine.preset import load_preset

SHAPES = Path(__file__).resolve().parent / "fixtures" / "axolotl" / "shapes"
AXOLOTL = Path(__file__).resolve().parent / "fixtures" / "axolotl"
DOCS = ["The quick brown fox.", "Hello, how are you? I am fine.", "human gpt system user assistant",
        "The quick brown fox jumps.", "I am fine, thank you.", "Hello system, hello user."]


def _errors(preset: Any) -> dict[str, str]:
    return {p.key: p.message for p in preset.errors}


# ---------------------------------------------------------------- Axolotl's example shapes


@pytest.mark.parametrize(("path", "source"), [
    (SHAPES / "pretrain-streaming.yaml", "HuggingFaceFW/fineweb-edu"),
    (SHAPES / "pretrain-c4-fsdp2.yaml", "allenai/c4"),
    (SHAPES / "pretrain-c4-muon.yaml", "allenai/c4"),  # optimizer: muon (tests/test_muon.py)
    (SHAPES / "pretrain-tiny-llama.yml", "allenai/c4"),
    (AXOLOTL / "llama3-diffusion-pretrain-1b.yaml", "wikitext"),
], ids=lambda x: x.name if isinstance(x, Path) else x)
def test_axolotl_pretraining_examples_are_accepted(path: Path, source: str) -> None:
    preset = load_preset(path)
    assert _errors(preset) == {}
    cfg = preset.config
    [entry] = cfg.pretraining_dataset
    assert entry.path == source and cfg.max_steps
    assert not [p for p in preset.problems if "not supported" in p.message]


def test_entry_keys_read_as_axolotl_means_them() -> None:
    cfg = load_preset(SHAPES / "pretrain-streaming.yaml").config
    entry = cfg.pretraining_dataset[0]
    assert (entry.name, entry.split, entry.type, entry.column) == ("sample-10BT", "train", "pretrain", "text")
    assert cfg.pretrain_multipack_attn is True and cfg.sample_packing
    diffusion = load_preset(AXOLOTL / "llama3-diffusion-pretrain-1b.yaml").config.pretraining_dataset[0]
    assert (diffusion.type, diffusion.column) == ("completion", "text")  # field names the column of a completion entry


# ---------------------------------------------------------------- validation


def _with(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "p.yaml"
    path.write_text("base_model: some/model\nsequence_len: 64\n" + text)
    return load_preset(path)


def test_max_steps_is_required_and_named(tmp_path: Path) -> None:
    preset = _with(tmp_path, "pretraining_dataset:\n  - path: allenai/c4\n")
    errors = _errors(preset)
    assert set(errors) == {"max_steps"}
    assert "streamed" in errors["max_steps"] and "max_steps: 1000" in errors["max_steps"]
    [problem] = preset.errors
    assert problem.line == 1 or problem.file  # said with where it is


def test_one_mapping_or_a_path_is_one_source(tmp_path: Path) -> None:
    mapping = _with(tmp_path, "max_steps: 5\npretraining_dataset:\n  path: allenai/c4\n  name: en\n").config
    assert [(e.path, e.name) for e in mapping.pretraining_dataset] == [("allenai/c4", "en")]
    plain = _with(tmp_path, "max_steps: 5\npretraining_dataset: allenai/c4\n").config
    assert [e.path for e in plain.pretraining_dataset] == ["allenai/c4"]


@pytest.mark.parametrize(("extra", "key", "words"), [
    ("datasets:\n  - path: a.jsonl\n    type: completion\n", "datasets", "would not be read"),
    ("val_set_size: 0.05\n", "val_set_size", "cannot hold rows out"),
    ("test_datasets:\n  - path: a.jsonl\n    type: completion\n", "test_datasets", "not read with pretraining"),
    ("pretraining_dataset:\n  - path: a\n  - path: b\n", "pretraining_dataset", "lists 2 sources"),
    ("rl: dpo\n", "pretraining_dataset", "rl: dpo"),
])
def test_what_a_stream_cannot_go_with(tmp_path: Path, extra: str, key: str, words: str) -> None:
    text = "max_steps: 5\n" + extra
    if "pretraining_dataset" not in extra:
        text += "pretraining_dataset:\n  - path: allenai/c4\n"
    errors = _errors(_with(tmp_path, text))
    assert key in errors and words in errors[key], errors


def test_datasets_are_not_required_with_a_stream(tmp_path: Path) -> None:
    assert "datasets" not in _errors(_with(tmp_path, "max_steps: 5\npretraining_dataset: allenai/c4\n"))
    assert "datasets" in _errors(_with(tmp_path, "max_steps: 5\n"))


# ---------------------------------------------------------------- the reader


def _stream_cfg(tiny_model_dir: Path, tmp_path: Path, path: Path, **top: Any) -> Any:
    top.setdefault("sequence_len", 16)
    top.setdefault("max_steps", 3)
    return make_cfg(tiny_model_dir, tmp_path, [], pretraining_dataset=[{"path": str(path)}], **top)


def _joined(tok: Any, docs: list[str]) -> list[int]:
    ids: list[int] = []
    for doc in docs:
        ids += tok(doc, add_special_tokens=True)["input_ids"] + [tok.eos_token_id]
    return ids


def test_blocks_are_the_documents_in_order_joined_with_eos(tiny_model_dir: Path, tmp_path: Path) -> None:
    from engine.data.streaming import streamed_train

    data = write_jsonl(tmp_path / "docs.jsonl", [{"text": d} for d in DOCS * 3])
    cfg = _stream_cfg(tiny_model_dir, tmp_path, data, sample_packing=True)
    tok = tokenizer_for(cfg)
    blocks = list(streamed_train(cfg, tok))
    stream = _joined(tok, DOCS * 3)
    assert len(blocks) == len(stream) // 16 >= 3  # full blocks only: the last partial one is not served
    for i, block in enumerate(blocks):
        assert block["input_ids"] == stream[i * 16:(i + 1) * 16] == block["labels"]
    # position ids restart at each document (documents kept apart) and at each block (a block is its own context)
    first = blocks[0]["position_ids"]
    doc0 = len(tok(DOCS[0])["input_ids"]) + 1
    assert first[:doc0 + 2] == [*range(doc0), 0, 1] and blocks[1]["position_ids"][0] == 0


def test_without_packing_a_block_is_one_causal_span(tiny_model_dir: Path, tmp_path: Path) -> None:
    from engine.data.streaming import streamed_train

    data = write_jsonl(tmp_path / "docs.jsonl", [{"text": d} for d in DOCS])
    for top in ({"sample_packing": False}, {"sample_packing": True, "pretrain_multipack_attn": False}):
        cfg = _stream_cfg(tiny_model_dir, tmp_path, data, **top)
        block = next(iter(streamed_train(cfg, tokenizer_for(cfg))))
        assert "position_ids" not in block and len(block["input_ids"]) == 16


def test_skip_and_text_column(tiny_model_dir: Path, tmp_path: Path) -> None:
    from engine.data.streaming import streamed_train

    data = write_jsonl(tmp_path / "docs.jsonl", [{"body": d, "id": i} for i, d in enumerate(DOCS)])
    cfg = make_cfg(tiny_model_dir, tmp_path, [], sequence_len=8, max_steps=1,
                   pretraining_dataset=[{"path": str(data), "text_column": "body", "skip": 2}])
    tok = tokenizer_for(cfg)
    assert next(iter(streamed_train(cfg, tok)))["input_ids"] == _joined(tok, DOCS[2:])[:8]


def test_the_reader_never_reads_ahead_of_training(tiny_model_dir: Path, tmp_path: Path) -> None:
    """An endless source: a reader that materialised it would never return. Only a bounded batch of documents is
    read ahead of the blocks taken."""
    import datasets

    from engine.data.streaming import pack_stream

    pulled = []

    def endless() -> Any:
        i = 0
        while True:
            pulled.append(i)
            yield {"text": DOCS[i % len(DOCS)]}
            i += 1

    cfg = _stream_cfg(tiny_model_dir, tmp_path, tmp_path)
    tok = tokenizer_for(cfg)
    rows = datasets.IterableDataset.from_generator(endless)
    it = iter(pack_stream(rows, "endless", "text", tok, 16, separate=True))
    start = time.monotonic()
    taken = [next(it) for _ in range(5)]
    assert time.monotonic() - start < 60
    needed = next(n for n in range(1, 100) if len(_joined(tok, [DOCS[i % 6] for i in range(n)])) >= 5 * 16)
    assert needed <= len(pulled) <= needed + 64 + 1  # at most one tokenizing batch ahead
    assert taken[0]["input_ids"] == _joined(tok, DOCS)[:16]


def test_a_jsonl_much_larger_than_the_run_is_read_only_as_far_as_needed(tiny_model_dir: Path,
                                                                        tmp_path: Path) -> None:
    """A 40 MB file whose end is not JSON: reading the first blocks never reaches it (datasets reads the file in
    chunks of about 10 MB)."""
    from engine.data.streaming import streamed_train

    path = tmp_path / "big.jsonl"
    line = json.dumps({"text": DOCS[0]}) + "\n"
    with path.open("w") as f:
        for _ in range(40 * (1 << 20) // len(line)):
            f.write(line)
        f.write("this line is not JSON\n")
    cfg = _stream_cfg(tiny_model_dir, tmp_path, path)
    tok = tokenizer_for(cfg)
    it = iter(streamed_train(cfg, tok))
    first = [next(it)["input_ids"] for _ in range(3)]
    assert first[0] == _joined(tok, [DOCS[0]] * 4)[:16]


def test_a_missing_column_names_the_key(tiny_model_dir: Path, tmp_path: Path) -> None:
    from engine.data.streaming import streamed_train

    data = write_jsonl(tmp_path / "docs.jsonl", [{"content": d} for d in DOCS])
    cfg = _stream_cfg(tiny_model_dir, tmp_path, data)
    with pytest.raises(DataError) as err:
        next(iter(streamed_train(cfg, tokenizer_for(cfg))))
    assert err.value.key == "pretraining_dataset.0.text_column" and "'content'" in str(err.value)


def test_a_missing_local_path_and_an_uncached_hub_id_fail_at_once(tiny_model_dir: Path, tmp_path: Path) -> None:
    from engine.data.streaming import streamed_train

    cfg = _stream_cfg(tiny_model_dir, tmp_path, tmp_path / "nope" / "docs.jsonl")
    with pytest.raises(DataError, match="does not exist"):
        streamed_train(cfg, tokenizer_for(cfg))
    hub = make_cfg(tiny_model_dir, tmp_path, [], sequence_len=16, max_steps=1,
                   pretraining_dataset=[{"path": "nobody-here/no-such-corpus"}])
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        streamed_train(hub, tokenizer_for(hub))
    assert time.monotonic() - start < 30  # offline (conftest): no network retries
    assert "not in the local cache (offline)" in str(err.value) and err.value.key == "pretraining_dataset.0.path"
