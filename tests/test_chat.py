"""Chat with a real model process: ``tunedeck chat`` in the terminal, and the TUI chat screen under Pilot (streamed
answer, compare view beside the base with the adapter off, Ctrl+L, the rendered prompt, a crash shown)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._infer_helpers import demo_rows, train_demo
from tests._train_helpers import REPO
from tests._tui_run_helpers import HostApp, screen_text, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.anyio]
ROW = demo_rows(1)[0]["messages"]  # system, user, assistant
QUESTION, ANSWER = ROW[1]["content"], ROW[2]["content"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter that learned six demo chats by heart (its base, adapter off, knows none of them)."""
    return train_demo(tmp_path_factory.mktemp("chat"), steps=150, adapter="lora", lora_r=16, lora_alpha=32,
                      lora_target_linear=True, learning_rate=3e-3, inference_system_prompt=ROW[0]["content"],
                      inference_max_new_tokens=40)


def test_terminal_chat_compares_the_tuned_model_with_its_base(lora_run: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "chat", str(lora_run), "--compare"], cwd=REPO,
                          input=f"{QUESTION}\n/prompt\n/clear\n/quit\n", capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"tuned> {ANSWER}" in " ".join(lines)
    base = next(line for line in lines if line.startswith("base> "))
    assert base != f"base> {ANSWER}"
    # /prompt: the conversation so far through the training template, the system prompt first
    assert f"<|im_start|>system\n{ROW[0]['content']}<|im_end|>\n<|im_start|>user\n{QUESTION}" in done.stdout
    assert "conversation cleared" in done.stdout


def _chat_screen(source: str, *, compare: bool, seen: list[str]) -> Any:
    from tui.screens.chat import ChatScreen

    screen = ChatScreen(source, compare=compare)
    forward = screen.model.on_message
    screen.model.on_message = lambda message: (seen.append(message.get("type")), forward(message))
    return screen


async def test_chat_screen_streams_compares_clears_and_shows_a_crash(lora_run: Path) -> None:
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    seen: list[str] = []
    screen = _chat_screen(str(lora_run), compare=True, seen=seen)
    app = HostApp(lambda: screen)
    async with app.run_test(size=(120, 36)) as pilot:
        assert await wait_until(pilot, lambda: "ready" in seen, timeout=120), screen_text(app)
        assert "(finished)" in screen.query_one("#chat-title", Static).render().plain
        await pilot.click("#chat-input")
        await pilot.press(*QUESTION, "enter")

        def answers(side: str) -> list[str]:
            return [str(w.render()) for w in screen.query_one(f"#chat-{side}", VerticalScroll).query(".chat-answer")]

        assert await wait_until(pilot, lambda: seen.count("done") == 2, timeout=120), screen_text(app)
        await pilot.pause()
        assert answers("tuned") == [ANSWER]
        assert answers("base") and answers("base")[0] != ANSWER
        assert seen.count("token") > 4  # streamed: pieces before each "done"
        assert seen.index("token") < seen.index("done")

        await pilot.press("ctrl+o")
        prompt = screen.query_one("#chat-prompt", Static)
        assert await wait_until(pilot, lambda: bool(prompt.display) and "<|im_start|>assistant" in str(prompt.render()))
        assert f"{ANSWER}<|im_end|>" in str(prompt.render())  # the conversation so far, as the model reads it

        await pilot.press("ctrl+l")
        await pilot.pause()
        assert answers("tuned") == [] and answers("base") == []

        os.kill(screen.model.pid, signal.SIGKILL)
        assert await wait_until(pilot, lambda: "The model process ended" in screen_text(app)), screen_text(app)
        assert "exit code -9" in screen_text(app)


async def test_a_model_that_cannot_load_is_a_message_on_the_screen(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llama"}')
    seen: list[str] = []
    app = HostApp(lambda: _chat_screen(str(broken), compare=False, seen=seen))
    async with app.run_test(size=(120, 30)) as pilot:
        assert await wait_until(pilot, lambda: "exited" in seen, timeout=120)
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "The model process ended (exit code 1)" in text
        assert "could not load the tokenizer" in text
