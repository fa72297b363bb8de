"""At 80×24 everything can be reached with the keyboard (no mouse over SSH): the live panel's last warning, the
help text's last line, a long log line's end, the resume hint, the runs list's last column."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from _tui_editor_helpers import CHAT_PRESET, TINY, show_section, sync, write_preset
from _tui_run_helpers import (
    FIXED_START,
    HostApp,
    columns_sized,
    failed_run,
    finished_run,
    kill_group,
    loaded,
    make_run_dir,
    screen_text,
    start_fake_trainer,
    wait_until,
    write_event,
    write_log,
)
from textual.geometry import Region
from textual.widgets import DataTable, Input

from engine.runs import folder
from engine.runs.index import register_run
from tui.app import TunedeckApp
from tui.screens.chat import ChatScreen
from tui.screens.editor import EditorScreen
from tui.screens.run import RunScreen
from tui.screens.runs import RunsScreen

SIZE = (80, 24)
# A full fine-tune with three mentor warnings: a high rate, NEFTune over many epochs, packing with eager attention.
WARNED = (CHAT_PRESET.replace("adapter: lora\nlora_target_linear: true\n", "")
          .replace("num_epochs: 1", "num_epochs: 5\nneftune_noise_alpha: 5")
          + "sample_packing: true\nattn_implementation: eager\n")


def shown_in(app: object, widget: object) -> str:
    """The words a widget shows on screen now (its region of the screen, borders dropped), wrapped lines joined."""
    region = widget.region
    rows = screen_text(app).splitlines()[region.y:region.bottom]
    return " ".join(" ".join(row[region.x:region.right].strip(" │╭╮╰╯─").split()) for row in rows)


def joined(app: object) -> str:
    """The screen's rows run together: a wrapped word is found whole."""
    return "".join(line.rstrip() for line in screen_text(app).splitlines())


async def editor_at_80x24(pilot, app: TunedeckApp) -> EditorScreen:
    assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen) and app.screen.has_class("-narrow"))
    return app.screen


@sync
async def test_the_live_panels_last_warning_scrolls_into_view(tmp_path: Path) -> None:
    app = TunedeckApp(write_preset(tmp_path, text=WARNED), count_data=False)
    async with app.run_test(size=SIZE) as pilot:
        editor = await editor_at_80x24(pilot, app)
        notes = editor.state.live().warnings
        assert any(n.severity == "warning" for n in notes)
        last_words = " ".join(notes[-1].message.split()[-4:])
        await pilot.press("ctrl+t")
        panel = editor.query_one("#live-panel")
        assert await wait_until(pilot, lambda: panel.region.area > 0 and shown_in(app, panel).strip())
        assert last_words not in shown_in(app, panel)  # taller than its box
        for _ in range(panel.virtual_size.height):  # arrow down as a reader would, until it shows
            await pilot.press("down")
            await pilot.pause()
            if last_words in shown_in(app, panel):
                break
        assert last_words in shown_in(app, panel)


@sync
async def test_the_help_texts_last_line_scrolls_into_view(tmp_path: Path) -> None:
    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=SIZE) as pilot:
        editor = await editor_at_80x24(pilot, app)
        assert await editor.focus_knob("learning_rate")
        knob = editor.query_one("#help-panel")
        assert await wait_until(pilot, lambda: "learning_rate" in str(knob.body.render()))
        last_line = str(knob.body.render()).strip().splitlines()[-1]
        await pilot.press("ctrl+t")  # the side panel: live numbers focused, help above them
        assert await wait_until(pilot, lambda: knob.region.area > 0 and shown_in(app, knob).strip())
        last_words = last_line.split()[-1]  # its last word: the line wraps in the narrow box
        assert last_words not in shown_in(app, knob)
        await pilot.press("shift+tab", "end")
        assert await wait_until(pilot, lambda: last_words in shown_in(app, knob))


@sync
async def test_a_long_log_line_wraps_on_demand(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path)
    tail = "and-this-is-the-very-end-of-the-line"
    write_log(run_dir, "warning: " + "x" * 150 + tail + "\n")
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: "warning: xxx" in screen_text(app))
        assert tail not in screen_text(app)
        assert await wait_until(pilot, lambda: "w Wrap" in screen_text(app))  # the footer says how
        await pilot.press("w")
        assert await wait_until(pilot, lambda: tail in joined(app))  # on the rows under the line's start
        await pilot.press("w")  # and back: one line per row again
        assert await wait_until(pilot, lambda: tail not in joined(app))


@sync
async def test_the_resume_hint_is_shown_whole(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, "20260101-100000-llama3-8b-qlora-chat", status="stopped")
    write_event(run_dir, "start", FIXED_START, total_steps=400, num_epochs=1, steps_per_epoch=400,
                effective_batch_size=8, num_processes=1, command="accelerate launch")
    write_event(run_dir, "step", FIXED_START + 3, step=93, total_steps=400, loss=1.2, learning_rate=1e-4)
    checkpoint = "/home/someone/work/outputs/llama3-8b-qlora-chat/checkpoint-93"
    write_event(run_dir, "stopped", FIXED_START + 4, step=93, checkpoint=checkpoint)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: "stopped at step 93" in screen_text(app))
        assert "to resume from it)" in shown_in(app, app.screen.query_one("#outcome"))


@sync
async def test_the_runs_lists_last_column_comes_into_view_column_by_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    run_dir = finished_run(tmp_path / "a")
    preset = "llama3-8b-qlora-chat-long-name.yaml"
    folder.update_state(run_dir, preset=f"/home/me/presets/{preset}",
                        run_id="20260101-100000-llama3-8b-qlora-chat-long-name")
    register_run(run_dir)
    app = HostApp(lambda: RunsScreen())
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 1 and columns_sized(table))
        await pilot.pause()
        assert preset not in screen_text(app)
        await pilot.press(*["right"] * 5)  # one press per column after the first
        assert await wait_until(pilot, lambda: preset in screen_text(app))
        assert "2026-01-01 10:00" in screen_text(app)  # the columns before it are still there


@pytest.mark.slow
@sync
async def test_a_dataset_previews_last_example_scrolls_into_view(tmp_path: Path) -> None:
    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=SIZE) as pilot:
        await editor_at_80x24(pilot, app)
        await show_section(pilot, 1)
        view = app.screen.query_one("#preview-view-0")
        app.screen.query_one("#preview-0").focus()
        await pilot.press("enter")  # Preview, from the keyboard
        assert await wait_until(pilot, lambda: "example 3:" in str(view.render()), timeout=120)
        last_word = str(view.render()).split()[-1]  # the last example's last word
        assert last_word not in joined(app)  # taller than the screen
        await pilot.press("tab", "tab", "end")  # past Remove into the preview, then to its end
        assert await wait_until(pilot, lambda: last_word in joined(app))
        assert app.focused is not None and Region(0, 0, *SIZE).contains_region(app.focused.region)


@pytest.mark.slow
@sync
async def test_the_chats_title_and_the_prompts_end_are_shown(tmp_path: Path) -> None:
    model = tmp_path / "a-folder-with-a-long-name" / "another-long-folder-name-for-the-model" / "tiny-chat-model"
    shutil.copytree(TINY / "model", model)
    notes: list[str] = []
    screen = ChatScreen(str(model))
    forward = screen.model.on_message
    screen.model.on_message = lambda message: (notes.append(str(message.get("note", ""))), forward(message))
    app = HostApp(lambda: screen)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: screen.ready, timeout=120), screen_text(app)
        note = next(n for n in notes if n)
        assert len(note) > SIZE[0]  # longer than a line: the title wraps instead of cutting it off
        assert await wait_until(pilot, lambda: "".join(note.split()) in "".join(screen_text(app).split()))
        # the prompt of a long next message, taller than its box: it opens at its end, where the model writes
        screen.query_one("#chat-input", Input).value = " ".join(f"word{i}" for i in range(400))
        await pilot.press("ctrl+o")
        assert await wait_until(pilot, lambda: "word399<|im_end|>" in joined(app))
        assert "<|im_start|>assistant" in screen_text(app)


def footer_keys(app: TunedeckApp) -> list[str]:
    """Each key the screen's footer offers, as it draws it ("s Stop")."""
    return [f"{app.get_key_display(binding)} {binding.description}"
            for _node, binding, _enabled, _tip in app.screen.active_bindings.values() if binding.show]


def footer_row(app: TunedeckApp) -> str:
    return screen_text(app).splitlines()[-1]


@sync
async def test_the_run_screens_footer_shows_every_key_whole(tmp_path: Path) -> None:
    running = make_run_dir(tmp_path / "live")
    proc = start_fake_trainer(running, steps=300, step_seconds=0.1)
    try:
        app = TunedeckApp(write_preset(tmp_path), count_data=False)
        async with app.run_test(size=SIZE) as pilot:
            await editor_at_80x24(pilot, app)
            # the fullest footers: a live run with sample answers, a failed one blaming a knob (with samples too)
            for dir_ in (running, failed := failed_run(tmp_path / "failed")):
                write_event(dir_, "samples", FIXED_START + 3, step=1, samples=[{"prompt": "p", "answer": "a"}])
            for run_dir, status in ((running, "running"), (finished_run(tmp_path / "done"), "finished"),
                                    (failed, "failed")):
                app.push_screen(RunScreen(run_dir))
                assert await wait_until(pilot, lambda s=status: getattr(app.screen, "status", "") == s)
                keys = footer_keys(app)
                assert "^q Quit" in keys and any(key.startswith(("d ", "esc ")) for key in keys)  # out and back
                assert ("a Samples" in keys) is (status != "finished"), keys
                assert ("k Fix" in keys) is (status == "failed"), keys
                try:
                    assert await wait_until(pilot, lambda k=keys: all(key in footer_row(app) for key in k), timeout=5)
                except AssertionError:
                    raise AssertionError(f"{status}: {keys} vs {footer_row(app)!r}") from None
                app.pop_screen()
    finally:
        kill_group(proc)


@sync
async def test_compare_names_a_full_fine_tunes_base_without_an_adapter(tmp_path: Path) -> None:
    """The demo trains every weight: its base side is the model before fine-tuning, not an "adapter off"."""
    model = tmp_path / "out"
    shutil.copytree(TINY / "model", model)
    run_dir = make_run_dir(tmp_path, status="finished")
    write_event(run_dir, "finished", FIXED_START, step=4, output_dir=str(model))
    screen = ChatScreen(str(run_dir), compare=True)
    app = HostApp(lambda: screen)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: "base model (before fine-tuning)" in screen_text(app))
        assert "adapter off" not in screen_text(app)


@sync
async def test_the_editors_footer_shows_every_key_whole_and_names_what_ctrl_b_does(tmp_path: Path) -> None:
    """At 80 columns the editor's footer held no "^q Quit" (cut off after "f6 Runs"): every key is whole now, and
    ctrl+b is named for what it does in the view at hand ("All" in the basic view, then "Basic")."""
    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=SIZE) as pilot:
        await editor_at_80x24(pilot, app)
        for shown, hidden in (("^b All", "^b Basic"), ("^b Basic", "^b All"), ("^b All", "^b Basic")):
            keys = footer_keys(app)
            assert "^q Quit" in keys and shown in keys and hidden not in keys, keys
            assert await wait_until(pilot, lambda k=keys: all(key in footer_row(app) for key in k))
            basic = app.screen.has_class("-basic")
            await pilot.press("ctrl+b")
            assert await wait_until(pilot, lambda b=basic: app.screen.has_class("-basic") is not b)
