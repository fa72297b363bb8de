"""The dataset preview panel names every reason rows were dropped, with its count, and shows the data warnings
(the engine's preview stats: engine.data.summary words them)."""

from __future__ import annotations

from pathlib import Path

from _data_helpers import write_jsonl
from _tui_editor_helpers import plain, show_section, sync
from _tui_run_helpers import wait_until

from tui.app import TunedeckApp


def preset_with_dropped_rows(tmp_path: Path, model: Path) -> Path:
    chat = write_jsonl(tmp_path / "chat.jsonl", [
        {"messages": [{"role": "user", "content": "Question?"}, {"role": "assistant", "content": "Answer."}]},
        {"messages": [{"role": "user", "content": "Only a question?"}]},  # nothing to learn
        {"messages": [{"role": "user", "content": "Tell me everything."},
                      {"role": "assistant", "content": "The quick brown fox. " * 40}]},  # too long for 64
    ])
    facts = write_jsonl(tmp_path / "facts.jsonl", [{"text": "Loruka is a country."}, {"text": ""}])  # empty text
    preset = tmp_path / "dropped.yaml"
    preset.write_text(f"base_model: {model}\ndatasets:\n  - path: {chat}\n    type: chat_template\n"
                      f"  - path: {facts}\n    type: completion\noutput_dir: {tmp_path}/out\nsequence_len: 64\n")
    return preset


@sync
async def test_the_preview_names_each_drop_reason_and_the_template_warning(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    app = TunedeckApp(preset_with_dropped_rows(tmp_path, tiny_model_dir), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        app.screen.query_one("#preview-0").press()
        view = app.screen.query_one("#preview-view-0")
        assert await wait_until(pilot, lambda: "example 1" in plain(view) or "Cannot" in plain(view), timeout=180)
        shown = " ".join(plain(view).split())
        assert "dropped: 1 empty text · 1 too long (over sequence_len 64) · 1 nothing to learn" in shown
        # the tiny ChatML template ends turns with <|im_end|>, its EOS is </s>: Axolotl's warning, in the panel
        assert "⚠ dataset 0" in shown and "'</s>'" in shown and "eot_tokens" in shown
