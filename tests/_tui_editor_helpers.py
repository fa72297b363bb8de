"""Presets and small helpers for the editor's Pilot tests."""

from __future__ import annotations

from pathlib import Path

from _tui_wait import wait_until  # the one wait; the tests import it from here too

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "presets" / "tiny"

CHAT_PRESET = f"""\
# A tiny chat fine-tune for the editor tests
base_model: {TINY / 'model'}   # the bundled demo model

# Data
datasets:
  - path: {TINY / 'chat.jsonl'}
    type: chat_template

sequence_len: 128
micro_batch_size: 2  # per process
gradient_accumulation_steps: 2
num_epochs: 1
learning_rate: 0.001
adapter: lora
lora_target_linear: true
output_dir: ./outputs/editor-test
tokenizer_use_fast: true  # an Axolotl key tunedeck keeps
"""


def write_preset(folder: Path, name: str = "chat.yaml", text: str = CHAT_PRESET) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def live_text(app) -> str:
    return str(app.screen.query_one("#live-numbers").render())


async def type_into(pilot, selector: str, text: str) -> None:
    """Focus a field's control, clear it and type ``text`` (as a user would)."""
    control = pilot.app.screen.query_one(selector).control
    control.focus()
    await pilot.pause()
    control.value = ""
    await pilot.press(*list(text))
    await pilot.pause()


def sync(test):
    """Run an async Pilot test with asyncio.run (the suite has no asyncio pytest plugin)."""
    import asyncio
    import functools
    import inspect

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    wrapper.__signature__ = inspect.signature(test)  # keep fixtures visible to pytest
    return wrapper


def plain(widget) -> str:
    """What a Static shows, as plain text (works for Text and any Rich renderable)."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


async def show_section(pilot, index: int) -> None:
    """Pick section ``index`` in the nav and wait until its fields are built (sections build on first show)."""
    from engine.knobs.base import Section
    from tui.widgets.section_nav import section_id

    screen = pilot.app.screen
    screen.query_one("#section-nav").highlighted = index
    sid = section_id(list(Section)[index])
    await wait_until(pilot, lambda: screen.query(f"#{sid}") and screen.query_one("#sections").current == sid)
