"""End to end: launch a real tiny training (accelerate + engine.train) and watch it on the run screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from _runs_helpers import REPO, write_preset
from _tui_run_helpers import HostApp, screen_text, wait_until

from engine.runs.launch import launch
from tui.screens.run import RunScreen
from tui.widgets.log_pane import LogPane

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

CHAT = REPO / "presets" / "tiny" / "chat.jsonl"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_watch_a_real_training_to_the_end(tmp_path: Path, tiny_model_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    preset = write_preset(
        tmp_path, base_model=str(tiny_model_dir), sequence_len=64, micro_batch_size=2, gradient_accumulation_steps=1,
        max_steps=5, logging_steps=1, learning_rate=1e-3, val_set_size=0, gradient_checkpointing=False, bf16=False,
        optimizer="adamw_torch", adapter="lora", lora_r=4, lora_alpha=8, lora_target_linear=True,
        chat_template="tokenizer_default",
        datasets=[{"path": str(CHAT), "type": "chat_template", "field_messages": "messages",
                   "roles_to_train": ["assistant"]}],
    )
    handle = launch(preset)
    app = HostApp(lambda: RunScreen(handle.run_dir, status_interval=0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert "accelerate.commands.launch" in screen_text(app)  # the exact command, from command.txt
        seen_running = await wait_until(pilot, lambda: screen.status == "running", timeout=300)
        assert await wait_until(pilot, lambda: screen.status not in ("starting", "running"), timeout=400)
        await pilot.pause(0.5)
        log = (handle.run_dir / "train.log").read_text(errors="replace")
        assert screen.status == "finished", log[-3000:]
        assert seen_running
        assert screen.view.total_steps == 5 and screen.view.step == 5
        assert len(screen.view.losses.values) == 5 and screen.view.tokens_per_second
        text = screen_text(app)
        assert "5/5" in text and "100%" in text and "finished" in text and "saved to" in text
        assert len(app.screen.query_one(LogPane).lines) >= 3  # the trainer's output reached the pane
