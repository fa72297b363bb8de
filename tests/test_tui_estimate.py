"""The live panel's memory estimate in the editor (Textual Pilot): verdict, suggestions, a GPU typed in, F1, and
the longest counted row sizing the activations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _tui_editor_helpers import CHAT_PRESET, plain, show_section, sync, type_into, wait_until, write_preset

from engine.knobs.base import Section
from tui.app import TunedeckApp
from tui.screens.estimate_help import EstimateHelpScreen

LLAMA_LORA = """\
# Llama 3 8B LoRA, planned for a 24 GB card
base_model: meta-llama/Meta-Llama-3-8B-Instruct
datasets:
  - path: data.jsonl
    type: chat_template
sequence_len: 4096
micro_batch_size: 2
gradient_accumulation_steps: 2
adapter: lora
lora_target_linear: true
target_gpu: 24GB
output_dir: ./outputs/estimate-test
"""


def block_text(app: TunedeckApp) -> str:
    return plain(app.screen.query_one("#estimate"))


@sync
async def test_estimate_block_verdict_suggestions_gpu_and_f1(tmp_path: Path) -> None:
    path = write_preset(tmp_path, text=LLAMA_LORA)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        text = block_text(app)
        assert "Memory per GPU" in text and "GiB" in text
        assert "does not fit 24 GiB GPU" in text
        assert "gradient checkpointing" in text  # the largest saving comes first
        assert "micro_batch_size 1 with gradient_accumulation_steps 4" in text  # the effective batch kept

        await show_section(pilot, list(Section).index(Section.ENVIRONMENT))
        await type_into(pilot, "#knob-target-gpu", "H200-141GB")
        assert await wait_until(pilot, lambda: "fits H200-141GB" in block_text(app))
        text = block_text(app)
        assert "fits H200-141GB" in text and "does not fit" not in text

        app.screen.query_one("#estimate").focus()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, EstimateHelpScreen)
        help_text = plain(app.screen.query_one("#estimate-help"))
        for label in ("weights", "optimizer states", "activations", "logits (fp32)", "CUDA context"):
            assert label in help_text
        await pilot.press("escape")


@sync
async def test_an_unknown_model_says_why_there_is_no_estimate(tmp_path: Path) -> None:
    path = write_preset(tmp_path, text=LLAMA_LORA.replace("meta-llama/Meta-Llama-3-8B-Instruct", "someone/unknown"))
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        text = block_text(app)
        assert "someone/unknown" in text and "no estimate is shown" in text


def shown_expected_gib(app: TunedeckApp) -> float:
    found = re.search(r"Memory per GPU\s+([\d.]+) GiB", block_text(app))
    assert found, block_text(app)
    return float(found.group(1))


@pytest.mark.slow
@sync
async def test_counted_short_rows_lower_the_expected_figure_and_name_the_length(tmp_path: Path) -> None:
    """The demo's chats are ~100 tokens: unpacked batches are padded to the longest of them, not to sequence_len,
    so once the background count is in, the block's expected figure drops and says which length it used."""
    text = CHAT_PRESET.replace("sequence_len: 128", "sequence_len: 2048").replace("micro_batch_size: 2",
                                                                                    "micro_batch_size: 8")
    path = write_preset(tmp_path, text=text)
    app = TunedeckApp(path, count_data=True)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        assert "Rows of sequence_len: 2048 tokens" in block_text(app)  # not counted yet
        at_sequence_len = shown_expected_gib(app)
        # the count runs in a subprocess
        assert await wait_until(pilot, lambda: not app.screen.state.counts.counting, timeout=120)
        assert app.screen.state.counts.error is None
        longest = int(re.search(r"Rows padded to the longest: (\d+) tokens", block_text(app)).group(1))
        assert 10 < longest < 2048 / 4
        assert shown_expected_gib(app) < at_sequence_len
