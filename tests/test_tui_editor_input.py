"""Typing in the editor: an emptied and retyped value keeps its line, and no hidden field ever takes a key."""

from __future__ import annotations

import asyncio
from pathlib import Path

from _tui_editor_helpers import show_section, sync, wait_until, write_preset
from textual import events

from tui.app import TunedeckApp
from tui.widgets.knob_field import EMPTY_SETTLE_S, KnobField

MBS = "#knob-micro-batch-size"
DATA_PATH = "#knob-datasets-0-path"


async def type_soon_after(app, first: tuple[str, ...], then: tuple[str, ...]) -> None:
    """Keys as a fast typist delivers them on a loaded machine: ``then`` arrives a few event-loop turns after
    ``first``, before the app has finished what ``first`` started (Pilot's press would wait for it)."""
    for key in first:
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    for _ in range(10):
        await asyncio.sleep(0)
    for key in then:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def _shown(widget) -> bool:
    """Displayed on screen: the widget and every container up to the screen."""
    return all(node.display for node in widget.ancestors_with_self if node is not widget.screen)


@sync
async def test_backspace_wait_and_retype_keeps_the_key_on_its_line(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    before = path.read_text().splitlines()
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        app.screen.query_one(MBS, KnobField).control.focus()
        await pilot.press("end", "backspace")
        await pilot.pause(EMPTY_SETTLE_S + 0.3)  # long enough for the emptied field to unset the key
        await wait_until(pilot, lambda: app.screen.state.raw("micro_batch_size") is not None
                         and "micro_batch_size" not in app.screen.state.doc)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "●" not in app.sub_title)
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=False) if a != b]
    assert len(after) == len(before)
    assert changed == [("micro_batch_size: 2  # per process", "micro_batch_size: 4  # per process")]


@sync
async def test_keys_typed_right_after_switching_sections_never_reach_a_hidden_field(tmp_path: Path) -> None:
    """From the section list: down (switch section) then tab and digits at once. Tab used to pick the first field
    of the section still on screen, which the swap then hid: the digits went into datasets[0].path."""
    path = write_preset(tmp_path)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)  # Datasets, built and shown
        state = app.screen.state
        data_path = state.raw("datasets.0.path")
        await pilot.press("escape")  # to the section list
        await type_soon_after(app, ("down", "tab"), ("4", "0", "9", "6"))
        await wait_until(pilot, lambda: app.screen.query_one("#sections").current == "section-sequence")
        await pilot.pause()
        assert state.raw("datasets.0.path") == data_path
        assert app.focused is not None and _shown(app.focused)
        await pilot.press("7")
        await pilot.pause()
        assert state.raw("datasets.0.path") == data_path


@sync
async def test_hiding_the_focused_field_moves_the_focus(tmp_path: Path) -> None:
    """ctrl+b (basic view) hides an advanced field that has the focus: the next key goes to a field on screen."""
    path = write_preset(tmp_path)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        await pilot.press("ctrl+b")  # all knobs
        advanced = next(f for f in app.screen.query(KnobField) if f.has_class("-advanced") and _shown(f))
        advanced.control.focus()
        await pilot.pause()
        await pilot.press("ctrl+b")  # basic again: the field is hidden
        await pilot.pause()
        await pilot.press("9")
        await pilot.pause()
        assert app.screen.state.raw(advanced.path) is None or app.screen.state.raw(advanced.path) != 9
        assert app.focused is not None and _shown(app.focused)


@sync
async def test_a_key_that_reaches_a_field_after_it_was_hidden_changes_nothing(tmp_path: Path) -> None:
    """The last guard: a key already on its way to a field when the field hides is undone, not written."""
    path = write_preset(tmp_path)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        field = app.screen.query_one(MBS, KnobField)
        field.display = False
        field.control.post_message(events.Key("7", "7"))  # delivered to the control as it was when focused
        await pilot.pause()
        assert field.control.value == "2"
        assert app.screen.state.raw("micro_batch_size") == 2
