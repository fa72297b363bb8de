"""The TUI's open screen takes another tool's config: it opens as a new, unsaved preset with the import report on
top, and the source file is left as it was."""

from __future__ import annotations

from pathlib import Path

from _import_helpers import turbo_sft, write_json
from _tui_editor_helpers import sync, wait_until
from _tui_run_helpers import Notices
from textual.widgets import Input

from tui.app import TunedeckApp
from tui.screens.editor import EditorScreen


@sync
async def test_open_screen_imports_a_turbo_alignment_config(tmp_path: Path) -> None:
    src = write_json(tmp_path / "sft.json", turbo_sft("data/chat.jsonl"))
    before = src.read_text()
    app, notices = TunedeckApp(None, presets_dir=tmp_path, count_data=False), Notices()
    async with app.run_test(size=(120, 40), message_hook=notices) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+l")
        app.screen.query_one("#open-path", Input).value = str(src)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        state = app.screen.state
        assert state.path is None and state.dirty  # new and unsaved: the JSON is never overwritten
        assert state.preset.get("base_model") == "models/tiny"
        assert state.preset.to_yaml().startswith(f"# Imported from {src} (turbo-alignment (sft))")
        assert any("Imported" in n.title and "exact" in n.message for n in notices.shown)
    assert src.read_text() == before
