"""Derived numbers of a preference run follow its data: each pair puts two sequences through the model (chosen and
rejected; KTO: the completion and the KL estimate's mismatched twin), so a step's token bound counts both, in the
engine's numbers and in the editor's live panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import derive
from engine.knobs import Config

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("rl", ["dpo", "ipo", "kto", "orpo", "simpo"])
def test_a_preference_step_bounds_both_sequences_of_each_pair(rl: str) -> None:
    knobs = dict(micro_batch_size=2, gradient_accumulation_steps=4, sequence_len=128, gpus_per_node=2)
    sft, preference = Config(**knobs), Config(**knobs, rl=rl)
    assert derive.tokens_per_step(sft) == 2 * 4 * 2 * 128
    assert derive.tokens_per_step(preference) == 2 * (2 * 4 * 2 * 128)
    assert derive.effective_batch_size(preference) == derive.effective_batch_size(sft)  # pairs, not sequences


def test_the_live_panel_counts_chosen_and_rejected(tmp_path: Path) -> None:
    from engine.preset import load_preset
    from tui.state import EditorState
    from tui.widgets.live_panel import render_live

    preset = REPO / "presets" / "tiny-cpu-dpo.yaml"  # micro batch 4, one process, sequence_len 128
    state = EditorState(load_preset(preset), path=preset)
    shown = " ".join(render_live(state.live(), state.counts).plain.split())
    assert f"Tokens per optimizer step ≤ {4 * 128 * 2:,} (chosen and rejected: 2 sequences per pair)" in shown
