"""The editor, driven with Textual's Pilot: open, edit, live numbers, validation, save, quit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _tui_editor_helpers import REPO, live_text, plain, show_section, sync, type_into, wait_until, write_preset
from _tui_run_helpers import Notices
from textual.command import CommandList
from textual.widgets import Input, OptionList, Select

from tui.app import TunedeckApp
from tui.screens.confirm import ConfirmUnsaved
from tui.screens.confirm_remove import ConfirmRemove
from tui.screens.editor import EditorScreen
from tui.screens.help import HelpScreen
from tui.screens.open import OpenScreen, describe, shipped_presets
from tui.screens.yaml_view import YamlScreen
from tui.widgets.help_panel import HelpPanel
from tui.widgets.knob_field import KnobField

MBS = "#knob-micro-batch-size"


def preview_spans(view, *, trained: bool) -> str:
    """The text of a preview drawn in the trained (or masked) style."""
    from tui.widgets.preview_view import MASKED, TRAINED

    text = view.content
    style = TRAINED if trained else MASKED
    return "".join(text.plain[span.start:span.end] for span in text.spans if str(span.style) == style)


def app_for(path: Path | None, **kw) -> TunedeckApp:
    return TunedeckApp(path, count_data=kw.pop("count_data", False), **kw)


@sync
async def test_open_screen_lists_presets_with_descriptions_and_opens_one(tmp_path: Path) -> None:
    folder = tmp_path / "presets"
    write_preset(folder, "a-chat.yaml")
    write_preset(folder, "b-plain.yaml", "# Plain text facts\nbase_model: x\n")
    app = app_for(None, presets_dir=folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        prompts = [str(o.prompt) for o in app.screen.query_one("#open-list", OptionList).options]
        assert any("a-chat.yaml" in p and "A tiny chat fine-tune for the editor tests" in p for p in prompts)
        assert any("b-plain.yaml" in p and "Plain text facts" in p for p in prompts)
        await pilot.press("down", "enter")  # first shipped preset, after "New preset"
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert str(folder / "a-chat.yaml") in app.sub_title
        assert "●" not in app.sub_title


def test_shipped_presets_have_descriptions() -> None:
    shipped = shipped_presets(REPO / "presets")  # recovery files (NAME.unsaved.yaml) are left out
    assert shipped and not any(p.name.endswith(".unsaved.yaml") for p in shipped)
    for path in shipped:
        assert describe(path), f"{path.name} should start with a comment line describing it"


@sync
async def test_open_missing_file_shows_error(tmp_path: Path) -> None:
    app = app_for(None, presets_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press(*"nope.yaml", "enter")
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        assert "no such file" in str(app.screen.query_one("#open-error").render())


@sync
async def test_opening_a_preset_with_recovered_edits_says_where_they_are(tmp_path: Path) -> None:
    """A session that lost its terminal left run.unsaved.yaml (tui.hangup): the next open points to it."""
    path = write_preset(tmp_path, "run.yaml")
    recovered = tmp_path / "run.unsaved.yaml"
    recovered.write_text(path.read_text().replace("sequence_len: 128", "sequence_len: 256"))
    app, notices = app_for(path), Notices()
    async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
        await pilot.pause()
        assert any(str(recovered) in m and "lost its terminal" in m for m in notices.messages), notices.messages
    older = write_preset(tmp_path, "old.yaml")
    (tmp_path / "old.unsaved.yaml").write_text("base_model: x\n")
    import os
    os.utime(tmp_path / "old.unsaved.yaml", (1, 1))  # older than the preset: saved since, nothing to say
    app, notices = app_for(older), Notices()
    async with app.run_test(size=(80, 24), message_hook=notices) as pilot:
        await pilot.pause()
        assert not any("lost its terminal" in m for m in notices.messages)


@sync
async def test_edit_micro_batch_updates_effective_batch(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "2 × 2 × 1 = 4" in live_text(app)
        await show_section(pilot, 2)
        await type_into(pilot, MBS, "8")
        assert "8 × 2 × 1 = 16" in live_text(app)
        assert "●" in app.sub_title
        # the help panel follows the focus
        assert "micro_batch_size" in str(app.screen.query_one("#help-panel", HelpPanel).body.render())


@sync
async def test_invalid_values_are_marked_and_valid_save_refused(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    before = path.read_bytes()
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        for bad, words in (("abc", "not a whole number"), ("0", "must be at least 1")):  # tunedeck's words
            await type_into(pilot, MBS, bad)
            field = app.screen.query_one(MBS, KnobField)
            assert field.has_class("-error")
            assert words in str(field.query_one(".knob-message").render())
            assert "Input should" not in str(field.query_one(".knob-message").render())  # never pydantic's
            assert "Fix micro_batch_size" in live_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert path.read_bytes() == before  # refused
        assert app.screen.query_one("#problem-summary").display
        await pilot.press("f4")  # a draft keeps what was typed
        await pilot.pause()
        assert "micro_batch_size: 0" in path.read_text()
        # fixing it clears the mark
        await type_into(pilot, MBS, "4")
        assert not app.screen.query_one(MBS, KnobField).has_class("-error")


@sync
async def test_save_round_trip_keeps_comments_and_other_lines(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    before = path.read_text().splitlines()
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 3)
        await type_into(pilot, "#knob-learning-rate", "0.0005")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "●" not in app.sub_title
    after = path.read_text().splitlines()
    assert len(after) == len(before)
    changed = [(a, b) for a, b in zip(before, after, strict=False) if a != b]
    assert changed == [("learning_rate: 0.001", "learning_rate: 0.0005")]


@sync
async def test_quit_with_unsaved_changes_asks(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    before = path.read_bytes()
    app = app_for(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        await type_into(pilot, MBS, "3")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmUnsaved)
        await pilot.press("escape")  # cancel: still editing
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")  # save, then quit
        await pilot.pause()
    assert app.return_code == 0
    assert path.read_bytes() != before and "micro_batch_size: 3" in path.read_text()


@sync
async def test_quit_discard_leaves_file(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    before = path.read_bytes()
    app = app_for(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        await type_into(pilot, MBS, "3")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
    assert path.read_bytes() == before


@sync
async def test_target_batch_proposes_and_applies_accumulation(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#target-batch", Input).focus()
        await pilot.press("3", "2")
        await pilot.pause()
        assert "gradient_accumulation_steps = 16" in str(app.screen.query_one("#target-plan").render())
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert "2 × 16 × 1 = 32" in live_text(app)
        assert app.screen.state.raw("gradient_accumulation_steps") == 16


@sync
async def test_basic_and_all_views(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 3)
        assert not app.screen.query("#knob-weight-decay")  # the basic view leaves it out (built when asked for)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: app.screen.query("#knob-weight-decay"))
        advanced = app.screen.query_one("#knob-weight-decay", KnobField)
        assert advanced.styles.display == "block"
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert advanced.styles.display == "none"


@sync
async def test_widgets_follow_types(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+b")  # all knobs: optimizer is an advanced one
        await show_section(pilot, 3)
        assert isinstance(screen.query_one("#knob-optimizer", KnobField).control, Select)
        await show_section(pilot, 2)
        assert type(screen.query_one("#knob-sample-packing", KnobField).control).__name__ == "Switch"
        await show_section(pilot, 4)
        lora_modules = screen.query_one("#knob-lora-target-modules", KnobField)
        assert "comma-separated" in lora_modules.control.placeholder
        await type_into(pilot, "#knob-lora-target-modules", "q_proj, v_proj")
        assert screen.state.raw("lora_target_modules") == ["q_proj", "v_proj"]
        await type_into(pilot, "#knob-lora-target-modules", "")
        # an emptied field is unset once it settles: empty = unset
        assert await wait_until(pilot, lambda: "lora_target_modules" not in screen.state.preset.to_yaml())


@sync
async def test_new_preset_save_as_and_yaml_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the template's paths are relative to the repository
    target = tmp_path / "mine.yaml"
    app = app_for(None, presets_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen) and "new preset" in app.sub_title
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, YamlScreen)
        assert "+base_model: presets/tiny/model" in str(app.screen.query_one("#yaml-diff-text").render())
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        field = app.screen.query_one("#save-as-path", Input)
        field.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)
        assert str(target) in app.sub_title and "●" not in app.sub_title
    from engine.preset import load_preset

    assert load_preset(target).ok


@sync
async def test_datasets_add_and_remove(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        app.screen.query_one("#add-dataset").press()
        state = app.screen.state
        await wait_until(pilot, lambda: app.screen.query("#knob-datasets-1-path"))
        assert len(state.datasets()) == 2
        await wait_until(pilot, lambda: app.screen.query_one("#knob-datasets-1-path", KnobField).has_class("-error"))
        await wait_until(pilot, lambda: app.screen.focused is app.screen.query_one("#knob-datasets-1-path",
                                                                                KnobField).control)
        await pilot.press("ctrl+s")  # an empty path is an error: refused
        await pilot.pause()
        assert "datasets:" in path.read_text() and path.read_text().count("- path") == 1
        app.screen.query_one("#remove-1").press()
        await wait_until(pilot, lambda: not app.screen.query("#dataset-1"))
        assert len(state.datasets()) == 1
        assert not app.screen.query("#dataset-1")


@sync
async def test_f1_opens_full_help_for_focused_knob(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 2)
        app.screen.query_one(MBS, KnobField).control.focus()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = plain(app.screen.query_one("#help-knob"))
        assert "micro_batch_size" in text and "current value: 2" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EditorScreen)


@sync
async def test_f1_lists_every_key_from_the_bindings_that_apply_now(tmp_path: Path) -> None:
    """The F1 key list is the editor's and the app's bindings, each with what it does (its tooltip): a key added to
    BINDINGS is listed without editing the help. ctrl+b is listed for what it does in the current view."""
    app = app_for(write_preset(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        for view, hidden in (("basic", "show_basic"), ("all", "show_all")):
            await pilot.press("f1")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
            rows = [" ".join(line.split()) for line in plain(app.screen.query_one("#help-keys")).splitlines()]
            said: dict[str, str] = {}  # an action's row says what its first binding says
            for binding in [*EditorScreen.BINDINGS, *TunedeckApp.BINDINGS]:
                if binding.action == hidden:
                    assert not any(binding.tooltip in row for row in rows), view
                    continue
                what = said.setdefault(binding.action, binding.tooltip or binding.description)
                assert what, f"{binding.key} has nothing to say in the help"
                assert any(binding.key in row and what[:30] in row for row in rows), (view, binding.key, rows)
            assert any(row.startswith("f5 / ctrl+r") for row in rows)
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is editor)
            await pilot.press("ctrl+b")
            await pilot.pause()


@pytest.mark.slow
@sync
async def test_live_panel_counts_rows_in_background(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path, count_data=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "counting…" in live_text(app)
        assert await wait_until(pilot, lambda: app.screen.state.counts.rows is not None, timeout=120)
        rows = sum(1 for line in (REPO / "presets/tiny/chat.jsonl").read_text().splitlines() if line.strip())
        assert f"{rows:,} rows" in live_text(app)
        # 120 rows / (micro 2 × 1 process) = 60 batches / accumulation 2 = 30 steps
        batches = -(-rows // 2)  # ceiling division
        assert app.screen.state.live().derived.steps_per_epoch == -(-batches // 2)


@pytest.mark.slow
@sync
async def test_dataset_preview_shows_trained_and_masked(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        app.screen.query_one("#preview-0").press()
        view = app.screen.query_one("#preview-view-0")
        await wait_until(pilot, lambda: "example 1" in str(view.render()) or "Cannot" in str(view.render()), 120)
        text = str(view.render())
        assert "example 1:" in text and " trained" in text and " masked tokens" in text  # counted in tokens
        assert "The capital of" in text  # a real row of chat.jsonl, rendered through the template
        assert "<|im_start|>" in text
        trained = preview_spans(view, trained=True)
        assert "The capital of" in trained and "What is the capital" not in trained
        # the shown preview follows the knobs: train the user turns too
        await type_into(pilot, "#knob-datasets-0-roles-to-train", "user, assistant")
        await wait_until(pilot, lambda: "What is the capital" in preview_spans(view, trained=True), timeout=120)


@pytest.mark.slow
@sync
async def test_dataset_preview_shows_bad_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n{not json\n')
    text = (REPO / "tests" / "_tui_editor_helpers.py").read_text()
    from _tui_editor_helpers import CHAT_PRESET, TINY

    path = write_preset(tmp_path, text=CHAT_PRESET.replace(str(TINY / "chat.jsonl"), str(bad)))
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        app.screen.query_one("#preview-0").press()
        view = app.screen.query_one("#preview-view-0")
        assert await wait_until(pilot, lambda: "example 1" in str(view.render()) or "Cannot" in str(view.render()),
                                timeout=120)
        text = str(view.render())
        assert "Cannot read this dataset" in text
        assert "bad.jsonl" in text and ":2" in text  # file and line of the broken row
        assert view.has_class("-error")


def test_tui_process_does_not_import_training_stack(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    code = f"""
import asyncio, sys
sys.path.insert(0, "tests")
from _tui_wait import wait_until
from tui.app import TunedeckApp
def datasets_shown(app):  # the section and its Selects fully mounted: quitting mid-mount trips Textual's Select
    return (app.screen.query_one('#sections').current == 'section-datasets'
            and all(s.query('#label') for s in app.screen.query('SelectCurrent')))
async def main():
    app = TunedeckApp({str(path)!r}, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one('#section-nav').highlighted = 1
        await wait_until(pilot, lambda: datasets_shown(app))
asyncio.run(main())
heavy = [m for m in ("torch", "transformers", "trl", "peft", "datasets", "accelerate") if m in sys.modules]
print("HEAVY", heavy)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


@sync
async def test_command_palette_runs_editor_actions(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"show yaml")
        assert await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, YamlScreen))


@sync
async def test_runs_list_binding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.screens.runs import RunsScreen

    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


@pytest.mark.slow
@sync
async def test_launch_saves_first_then_shows_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from _runs_helpers import use_fake_trainer, wait_for
    from _tui_editor_helpers import CHAT_PRESET

    from engine.runs.control import run_status
    from tui.screens.run import RunScreen

    use_fake_trainer(monkeypatch, step_seconds=0.05)
    text = CHAT_PRESET.replace("output_dir: ./outputs/editor-test", f"output_dir: {tmp_path / 'out'}")
    # max_steps alone: with num_epochs too, a warning stands and F5 asks first (tests/test_tui_launch_checks.py)
    path = write_preset(tmp_path, text=text.replace("num_epochs: 1\n", "") + "max_steps: 3\n")
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 3)
        await type_into(pilot, "#knob-learning-rate", "0.0003")
        await pilot.press("f5")
        assert await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), timeout=120)
        assert "learning_rate: 0.0003" in path.read_text()  # saved before launching
        run_dir = app.screen.run_dir
        assert run_dir.parent == tmp_path / "out" / "runs"
    assert wait_for(lambda: run_status(run_dir) not in ("starting", "running"), timeout=120)
    assert run_status(run_dir) == "finished"


@sync
async def test_dataset_card_asks_what_its_type_reads(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        screen = app.screen
        messages = screen.query_one("#knob-datasets-0-field-messages", KnobField)
        column = screen.query_one("#knob-datasets-0-field", KnobField)
        assert messages.styles.display == "block" and column.styles.display == "none"
        await type_into(pilot, "#knob-datasets-0-message-property-mappings", "role: from, content: value")
        assert screen.state.raw("datasets.0.message_property_mappings") == {"role": "from", "content": "value"}
        await type_into(pilot, "#knob-datasets-0-roles", "user: [human], assistant: [gpt]")
        assert screen.state.raw("datasets.0.roles") == {"user": ["human"], "assistant": ["gpt"]}
        screen.query_one("#knob-datasets-0-type", KnobField).control.value = "completion"
        await wait_until(pilot, lambda: column.styles.display == "block")
        assert screen.state.raw("datasets.0.type") == "completion"
        # set by the user, so still shown (and validate's rule about it lands on the field)
        assert screen.query_one("#knob-datasets-0-roles", KnobField).styles.display == "block"
        assert screen.query_one("#knob-datasets-0-train-on-eos", KnobField).styles.display == "none"


@sync
async def test_run_screen_can_send_the_user_to_the_blamed_knob(tmp_path: Path) -> None:
    from tui.screens.run import RunScreen

    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(RunScreen.OpenKnob(path, "lora_dropout"))  # an advanced knob in another section
        await wait_until(pilot, lambda: getattr(app.focused.parent, "path", None) == "lora_dropout")
        assert not app.screen.has_class("-basic")
        help_panel = app.screen.query_one("#help-panel", HelpPanel)
        await wait_until(pilot, lambda: "lora_dropout" in str(help_panel.body.render()))


def test_run_app_refuses_a_missing_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.app import run_app

    assert run_app(tmp_path / "missing.yaml") == 2
    assert "no such preset file" in capsys.readouterr().err


@sync
async def test_live_panel_shows_mentor_warnings(tmp_path: Path) -> None:
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        counts = app.screen.state.counts
        counts.rows = counts.train_rows = 120  # as the background count reports for presets/tiny/chat.jsonl
        counts.tokens = 5997
        await show_section(pilot, 2)
        await type_into(pilot, MBS, "64")
        text = live_text(app)
        assert "64 × 2 × 1 = 128" in text and "Steps per epoch 1" in text
        assert "⚠" in text and "effective batch (128" in text


@pytest.mark.parametrize("shipped", sorted((REPO / "presets").glob("*.yaml")), ids=lambda p: p.name)
@sync
async def test_every_shipped_preset_opens_clean_in_every_section(
        shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.knobs.base import Section

    monkeypatch.chdir(REPO)
    app = app_for(shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+b")  # all knobs
        for index in range(len(Section)):
            await show_section(pilot, index)
        await pilot.pause(0.3)
        state = app.screen.state
        assert "●" not in app.sub_title and not state.dirty  # showing values never edits them
        assert not state.field_errors
        error_keys = {p.key for p in state.errors()}
        marked = {f.path for f in app.screen.query(KnobField) if f.has_class("-error")}
        assert marked <= error_keys
        assert state.preset.to_yaml() == shipped.read_text()


@sync
async def test_unknown_keys_are_reported_on_top(tmp_path: Path) -> None:
    from _tui_editor_helpers import CHAT_PRESET

    path = write_preset(tmp_path, text=CHAT_PRESET + "learning_rat: 0.1  # a typo\n")
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        summary = app.screen.query_one("#problem-summary")
        assert summary.display
        text = str(summary.render())
        assert "learning_rat" in text and f"{path}:" in text


@sync
async def test_removing_a_dataset_with_a_path_asks_first(tmp_path: Path) -> None:
    """One Enter on a card's Remove used to drop the source at once: now a dialog asks, with Keep focused (Esc
    keeps it); Remove (r) removes it. An entry with no path yet goes without asking (see the add/remove test)."""
    path = write_preset(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        state = app.screen.state
        before = state.datasets()
        app.screen.query_one("#remove-0").press()
        assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmRemove))
        assert app.screen.focused is not None and app.screen.focused.id == "keep"
        await pilot.press("enter")  # the second Enter keeps it: Keep has the focus
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert state.datasets() == before and not state.dirty
        app.screen.query_one("#remove-0").press()
        assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmRemove))
        await pilot.press("r")
        assert await wait_until(pilot, lambda: len(state.datasets()) == len(before) - 1)
        assert state.dirty and path.read_text().count("- path") == len(before)  # on disk only once saved
