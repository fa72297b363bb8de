"""What a streamed pretraining preset (pretraining_dataset) shows before it runs: the editor's live panel,
train --dry-run and estimate say the steps are max_steps (nothing is counted), the estimate's time covers max_steps
full blocks, and the mentor notes give a stream's advice (raise max_steps; no 'preview to count packed steps')."""

from __future__ import annotations

import json
from pathlib import Path

from _resume_helpers import tunedeck
from conftest import PRESETS

STEPS, MICRO, ACCUM, SEQ = 7, 2, 2, 64


def _preset(tmp_path: Path) -> Path:
    path = tmp_path / "pretrain.yaml"
    path.write_text(f"base_model: {PRESETS / 'tiny' / 'model'}\npretraining_dataset:\n"
                    f"  - path: {PRESETS / 'tiny' / 'facts.jsonl'}\n    type: pretrain\n"
                    f"sequence_len: {SEQ}\nmicro_batch_size: {MICRO}\ngradient_accumulation_steps: {ACCUM}\n"
                    f"max_steps: {STEPS}\nwarmup_ratio: 0.3\nsample_packing: true\nadapter: lora\n"
                    f"lora_target_linear: true\nlearning_rate: 2e-4\noutput_dir: {tmp_path / 'out'}\n")
    return path


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_live_panel_says_the_steps_are_max_steps(tmp_path: Path) -> None:
    from engine.preset import load_preset
    from tui.state import EditorState
    from tui.widgets.live_panel import render_live

    path = _preset(tmp_path)
    state = EditorState(load_preset(path), path=path)
    shown = _flat(render_live(state.live(), state.counts).plain)
    assert "Data: streamed from pretraining_dataset as training reads it: not counted" in shown
    assert f"Steps {STEPS} (max_steps; a stream has no epoch count)" in shown
    assert "Steps per epoch" not in shown and "Warmup steps 3" in shown  # 30% of 7, rounded up
    assert f"Tokens per optimizer step ≤ {MICRO * ACCUM * SEQ}" in shown
    assert "Raise max_steps: a streamed pretraining_dataset trains exactly max_steps steps" in shown
    assert "Raise num_epochs" not in shown and "preview the data" not in shown


def test_dry_run_says_the_steps_are_max_steps(tmp_path: Path) -> None:
    out = tunedeck("train", str(_preset(tmp_path)), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert f"steps {STEPS} (max_steps; pretraining_dataset is streamed, so there is no epoch count)" in out.stdout
    assert f"effective batch {MICRO} × {ACCUM} × 1 = {MICRO * ACCUM}" in out.stdout
    assert not (tmp_path / "last_run_prepared").exists()  # nothing was prepared to count steps


def test_the_estimate_times_max_steps_of_full_blocks(tmp_path: Path) -> None:
    preset = str(_preset(tmp_path))
    table = tunedeck("estimate", preset, "--set", "target_gpu=A100-80GB")
    assert table.returncode == 0, table.stderr
    tokens = STEPS * MICRO * ACCUM * SEQ
    assert f"({tokens:,} tokens)" in table.stdout and "no estimate" not in table.stdout
    assert f"Steps: {STEPS} (max_steps; pretraining_dataset is streamed, so there is no epoch count)" in table.stdout
    out = json.loads(tunedeck("estimate", preset, "--set", "target_gpu=A100-80GB", "--json").stdout)
    assert out["steps_from"] == "max_steps" and out["time"]["tokens"] == tokens
    assert 0 < out["time"]["low_s"] <= out["time"]["high_s"]
