"""Helpers for the data-pipeline tests: configs on the tiny model, JSONL files, tokenizer loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

IM_START, IM_END = "<|im_start|>", "<|im_end|>"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def make_cfg(model_dir: Path, tmp: Path, datasets: list[dict], **top: Any):
    from engine.knobs.config import Config

    top.setdefault("output_dir", str(tmp / "out"))
    top.setdefault("sequence_len", 256)
    return Config(base_model=str(model_dir), datasets=datasets, **top)


def tokenizer_for(cfg):
    from engine.data.tokenizer import prepare_tokenizer

    return prepare_tokenizer(cfg)


def enc(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def trained_text(tok, ids: list[int], labels: list[int]) -> list[str]:
    """The learned stretches, decoded, in order (consecutive trained tokens joined)."""
    out, run = [], []
    for i, lab in zip(ids, labels, strict=False):
        if lab != -100:
            assert lab == i
            run.append(i)
        elif run:
            out.append(tok.decode(run))
            run = []
    if run:
        out.append(tok.decode(run))
    return out


def prepare(cfg, **kw):
    from engine.data.prepare import prepare_datasets

    return prepare_datasets(cfg, tokenizer_for(cfg), **kw)
