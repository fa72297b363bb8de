"""The TUI refuses a preset file that is no preset (a list, a number, a text, an unknown %YAML version, an alias
bomb) with the message `validate` prints, and stays open on the open screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_editor_helpers import sync, write_preset
from _tui_run_helpers import Notices

from engine.errors import TunedeckError
from engine.preset import format_problem, load_preset
from tui.app import TunedeckApp
from tui.screens.open import OpenScreen


def validate_message(path: Path) -> str:
    """What the CLI says about ``path``: the load error, or the preset's one error."""
    try:
        preset = load_preset(path)
    except TunedeckError as err:
        return str(err)
    [error] = preset.errors
    return format_problem(error)


BOMB = "lora_target_modules:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n" for prev, name in zip("abcdefg", "bcdefgh", strict=False))


@pytest.mark.parametrize("text", ["- a\n- b\n", "42\n", "just some text\n",
                                  "base_model: m\nlora_r: 8\n%YAML 9.9\n---\nx: 1\n", BOMB])
@sync
async def test_opening_a_file_that_is_no_preset_says_why_and_stays_open(tmp_path: Path, text: str) -> None:
    path = write_preset(tmp_path, "odd.yaml", text)
    expected = validate_message(path)
    app, notices = TunedeckApp(path, presets_dir=tmp_path, count_data=False), Notices()
    async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, OpenScreen)
        assert expected in notices.messages, notices.messages
