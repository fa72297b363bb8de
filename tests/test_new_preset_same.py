"""``tunedeck new`` and the editor's New preset start from the same preset, and it works from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_editor_helpers import sync, wait_until
from textual.widgets import Input

from engine.cli import main
from engine.preset import load_preset
from tui.app import TunedeckApp
from tui.screens.editor import EditorScreen


@sync
async def test_new_preset_in_the_editor_is_what_tunedeck_new_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)  # not the repository: relative paths of the template must still resolve
    assert main(["new", "from-cli.yaml"]) == 0
    capsys.readouterr()
    app = TunedeckApp(None, presets_dir=tmp_path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        await pilot.press("f2")
        await wait_until(pilot, lambda: bool(app.screen.query("#save-as-path")))
        app.screen.query_one("#save-as-path", Input).value = "from-tui.yaml"
        await pilot.press("enter")
        await wait_until(pilot, lambda: (folder / "from-tui.yaml").is_file())
    from_cli, from_tui = load_preset(folder / "from-cli.yaml"), load_preset(folder / "from-tui.yaml")
    assert from_tui.get("base_model") == from_cli.get("base_model")
    assert from_tui.get("datasets") == from_cli.get("datasets")
    # Each gets its own output_dir from its name (a New preset saved as from-tui.yaml trains in ./outputs/from-tui,
    # not in the ./outputs/new-preset it had before it had a name); everything else is the same text.
    assert from_cli.get("output_dir") == "./outputs/from-cli" and from_tui.get("output_dir") == "./outputs/from-tui"
    assert from_tui.to_yaml().replace("from-tui", "from-cli") == from_cli.to_yaml()
    for preset in (from_cli, from_tui):
        assert preset.errors == [], [p.format() for p in preset.errors]  # model and data found from here
        assert Path(preset.get("base_model")).is_dir()


@sync
async def test_preview_is_in_the_command_palette(tmp_path: Path) -> None:
    from _tui_editor_helpers import plain, write_preset

    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"preview")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Press Preview" not in plain(app.screen.query_one("#preview-view-0")))
        assert app.screen.query_one("#sections").current == "section-datasets"


@sync
async def test_the_focused_button_stands_out(tmp_path: Path) -> None:
    """Its border changes, not only a faint tint: on a 16-colour terminal over tmux the tint is invisible."""
    from _tui_editor_helpers import show_section, write_preset
    from textual.widgets import Button

    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        preview, remove = app.screen.query_one("#preview-0", Button), app.screen.query_one("#remove-0", Button)
        unfocused = (preview.styles.border_top, preview.styles.text_style)
        preview.focus()
        await pilot.pause()
        focused = (preview.styles.border_top, preview.styles.text_style)
        assert focused[0] != unfocused[0] and focused[1] != unfocused[1]
        remove.focus()
        await pilot.pause()
        assert (preview.styles.border_top, preview.styles.text_style) == unfocused
