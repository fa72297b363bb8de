"""The live panel's memory estimate in the editor (Textual Pilot): verdict, suggestions, a GPU typed in, F1."""

from __future__ import annotations

from pathlib import Path

from _tui_editor_helpers import plain, show_section, sync, type_into, write_preset

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
        await pilot.pause(0.3)
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
