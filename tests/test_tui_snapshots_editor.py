"""Snapshots of the open screen and the editor at 80×24 and 120×40 (regenerate with --snapshot-update).

The preset lives at a fixed path (the title shows it) and background counting is off, so the screens do not
depend on subprocess timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_editor_helpers import CHAT_PRESET, REPO, write_preset

from tui.app import TunedeckApp
from tui.screens.editor import PROBLEMS_DEBOUNCE_S
from tui.widgets.knob_field import EMPTY_SETTLE_S

FIXED = Path("/tmp/tunedeck-snapshots")  # fixed: the title shows the preset path


async def no_blink(pilot, focused: str | None = None) -> None:
    """Let the screen settle before the picture: the expected field has focus, debounced work has run, and no
    cursor blinks (a blinking cursor is drawn or not depending on timing). A loaded CI machine is slow, so wait
    for the state rather than for a fixed time alone."""
    from textual.widgets import Input

    if focused is not None:
        for _ in range(100):
            widget = pilot.app.focused
            if widget is not None and any(a.id == focused for a in [widget, *widget.ancestors]):
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError(f"#{focused} never got focus (focused: {pilot.app.focused!r})")
    await pilot.pause(PROBLEMS_DEBOUNCE_S + EMPTY_SETTLE_S)  # debounced problem refresh and unset timers fired
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


SNAP_PRESET = CHAT_PRESET.replace(str(REPO) + "/", "")  # relative paths: the same text on every checkout


@pytest.fixture
def fixed_preset(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)  # where the relative paths resolve
    monkeypatch.setattr("engine.estimate.report.detect_gpu", lambda: None)  # the same picture on a GPU machine
    return write_preset(FIXED / "presets", "chat.yaml", SNAP_PRESET)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_open_screen(snap_compare, fixed_preset: Path, size: tuple[int, int]) -> None:
    write_preset(FIXED / "presets", "plain.yaml", "# Plain-text facts, full fine-tune\nbase_model: x\n")
    app = TunedeckApp(None, presets_dir=FIXED / "presets", count_data=False)
    assert snap_compare(app, terminal_size=size, run_before=no_blink)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_editor_batching_section(snap_compare, fixed_preset: Path, size: tuple[int, int]) -> None:
    app = TunedeckApp(fixed_preset, count_data=False)

    async def go_to_batching(pilot) -> None:
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # Sequence & batching, focus its first field
        await no_blink(pilot, focused="knob-sequence-len")

    assert snap_compare(app, terminal_size=size, run_before=go_to_batching)


def test_editor_invalid_value_marked(snap_compare, fixed_preset: Path) -> None:
    app = TunedeckApp(fixed_preset, count_data=False)

    async def type_bad(pilot) -> None:
        await pilot.pause()
        await pilot.press("down", "down", "enter", "tab", "tab")  # sequence_len → … → micro_batch_size
        field = pilot.app.screen.query_one("#knob-micro-batch-size")
        field.control.focus()
        field.control.value = ""
        await pilot.press("a", "b", "c")
        await no_blink(pilot, focused="knob-micro-batch-size")

    assert snap_compare(app, terminal_size=(120, 40), run_before=type_bad)


def test_editor_narrow_side_panel_toggled(snap_compare, fixed_preset: Path) -> None:
    app = TunedeckApp(fixed_preset, count_data=False)

    async def toggle(pilot) -> None:
        await pilot.pause()
        await pilot.press("ctrl+t")
        await no_blink(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=toggle)


def test_editor_datasets_light_theme(snap_compare, fixed_preset: Path) -> None:
    app = TunedeckApp(fixed_preset, count_data=False)

    async def light_datasets(pilot) -> None:
        pilot.app.theme = "textual-light"
        await pilot.pause()
        await pilot.press("down", "enter")  # Datasets, focus the first dataset's path
        await no_blink(pilot, focused="knob-datasets-0-path")

    assert snap_compare(app, terminal_size=(120, 40), run_before=light_datasets)
