"""The presets we ship: each validates without errors, is commented for newcomers, and the demo's files resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.knobs import Config, Problem
from engine.knobs.rules import check_rules
from engine.paths import resolve_path
from tui.screens.open import shipped_presets

PRESETS = Path(__file__).resolve().parent.parent / "presets"
SHIPPED = shipped_presets(PRESETS)  # recovery files of unsaved edits left out
DEMO = PRESETS / "tiny-cpu-demo.yaml"


def problems_of(path: Path) -> list[Problem]:
    """Through engine.preset when it is there (lines, key spellings), else the registry and rules directly."""
    try:
        from engine.preset import load_preset
    except ImportError:
        from ruamel.yaml import YAML

        return check_rules(Config(**YAML(typ="safe").load(path.read_text())))
    return load_preset(path).problems


def test_the_expected_presets_ship():
    names = {p.stem for p in SHIPPED}
    assert {"tiny-cpu-demo", "llama3-8b-qlora-chat", "mistral-7b-lora", "completion-facts"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_preset_has_no_errors(path):
    errors = [p.format() for p in problems_of(path) if p.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_preset_is_commented_for_newcomers(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# "), "a preset opens with a comment saying what it is for"
    blocks = [line for line in lines if line.startswith("# ---")]
    assert len(blocks) >= 5, "each block (model, data, batching, schedule, ...) has a heading comment"
    comments = [line for line in lines if line.lstrip().startswith("#")]
    settings = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert len(comments) >= len(settings) / 3


def test_demo_is_clean_and_cpu_friendly():
    assert [p.format() for p in problems_of(DEMO)] == []
    from ruamel.yaml import YAML

    cfg = Config(**YAML(typ="safe").load(DEMO.read_text()))
    assert cfg.adapter is None and cfg.bf16 is False and not cfg.load_in_4bit  # runs on a CPU
    assert cfg.val_set_size > 0 and cfg.evals_per_epoch  # shows an eval loss
    assert cfg.output_dir.startswith("./outputs/")


def test_demo_paths_resolve_from_anywhere(tmp_path, monkeypatch):
    from ruamel.yaml import YAML

    cfg = Config(**YAML(typ="safe").load(DEMO.read_text()))
    for cwd in (tmp_path, PRESETS.parent):
        monkeypatch.chdir(cwd)
        model = resolve_path(cfg.base_model, DEMO)
        assert (model / "config.json").is_file() and (model / "tokenizer.json").is_file()
        assert resolve_path(cfg.datasets[0].path, DEMO).is_file()


@pytest.mark.slow
def test_demo_data_tokenizes_with_the_bundled_model(tmp_path, monkeypatch):
    """The demo's chat settings (template, eot token, roles) really produce learned answer tokens."""
    from engine.data import prepare_datasets, prepare_tokenizer
    from engine.preset import load_config

    monkeypatch.chdir(tmp_path)  # keep any cache out of the repository
    cfg = load_config(DEMO)
    tokenizer = prepare_tokenizer(cfg, DEMO)
    data = prepare_datasets(cfg, tokenizer, DEMO, use_cache=False)
    stats = data.stats
    assert stats["dropped"] == 0  # sequence_len holds every chat
    assert stats["eval_rows"] == 6 and stats["train_rows"] == 114
    assert 0 < stats["trained_tokens"] < stats["tokens"]  # answers learned, prompts not
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    row = data.train[0]
    learned = [t for t, label in zip(row["input_ids"], row["labels"], strict=False) if label != -100]
    assert im_end in learned  # the model learns to end its turn
