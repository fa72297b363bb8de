"""Problem and error text shows as written in pop-ups and message lines: "[assistant]" is not Rich markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_editor_helpers import show_section, sync, type_into, write_preset
from _tui_run_helpers import screen_text, wait_until

from tui.app import TunedeckApp
from tui.screens.editor import EditorScreen
from tui.screens.open import OpenScreen

NOT_A_PRESET = "roles-[assistant]/list.yaml"  # a folder name with brackets, as a user may have


def toasts(app: TunedeckApp) -> str:
    """The text of the pop-ups on screen."""
    return "\n".join(str(toast.render()) for toast in app.screen.query("Toast"))  # Textual exports no Toast class


@pytest.fixture
def bracketed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that cannot be opened (a list, not a mapping), under a short relative path with brackets."""
    monkeypatch.chdir(tmp_path)
    return write_preset(tmp_path / "roles-[assistant]", "list.yaml", "- a list\n- not a preset\n")


@sync
async def test_a_notification_keeps_brackets(bracketed: Path) -> None:
    write_preset(bracketed.parent, "good.yaml")
    app = TunedeckApp("roles-[assistant]/good.yaml", count_data=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        await show_section(pilot, 3)
        await type_into(pilot, "#knob-learning-rate", "0.0005")
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: "Saved" in toasts(app))
        assert "Saved roles-[assistant]/good.yaml" in toasts(app)


@sync
async def test_the_open_screen_says_why_a_preset_did_not_open(bracketed: Path) -> None:
    app = TunedeckApp(NOT_A_PRESET, count_data=False)
    async with app.run_test(size=(120, 30)) as pilot:
        assert await wait_until(pilot, lambda: isinstance(app.screen, OpenScreen) and "mapping" in screen_text(app))
        assert f"{NOT_A_PRESET}: the preset must be a mapping" in screen_text(app)


@sync
async def test_the_open_screen_error_line_keeps_brackets(bracketed: Path) -> None:
    app = TunedeckApp(None, count_data=False)
    async with app.run_test(size=(120, 30)) as pilot:
        assert await wait_until(pilot, lambda: isinstance(app.screen, OpenScreen))
        app.screen.query_one("#open-path").focus()
        await pilot.press(*"roles-[assistant]/missing.yaml", "enter")
        assert await wait_until(pilot, lambda: "no such file" in screen_text(app))
        assert "roles-[assistant]/missing.yaml: no such file" in screen_text(app)
