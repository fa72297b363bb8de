"""The editor's dataset preview shows a preference pair as the trainer sees it: the prompt as context, the chosen and
the rejected answers in distinct colours, each with its token count (the engine's `preview --json` rows)."""

from __future__ import annotations

from pathlib import Path

from _tui_editor_helpers import plain, show_section, sync
from _tui_run_helpers import wait_until
from rich.text import Text

from tui.app import TunedeckApp

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "presets" / "tiny" / "pairs.jsonl"
MODEL = REPO / "presets" / "tiny" / "model"  # the shipped tokenizer: the counts below are its own
PROMPT = "What is the capital of Onmelvel?"
CHOSEN = "The capital of Onmelvel is Stozor."
REJECTED = "The capital of Meldavel is Rutri."


def _style_at(text: Text, fragment: str) -> str:
    """The style the preview gives the first character of ``fragment``."""
    at = text.plain.index(fragment)
    styles = [str(span.style) for span in text.spans if span.start <= at < span.end]
    assert styles, f"{fragment!r} has no style"
    return styles[-1]


@sync
async def test_the_preview_shows_a_pair_in_three_colours_with_token_counts(tmp_path: Path) -> None:
    preset = tmp_path / "dpo.yaml"
    preset.write_text(f"base_model: {MODEL}\nrl: dpo\nchat_template: tokenizer_default\n"
                      f"datasets:\n  - path: {PAIRS}\n    type: chat_template.default\n"
                      f"output_dir: {tmp_path}/out\nsequence_len: 128\nadapter: lora\nlora_target_linear: true\n")
    app = TunedeckApp(preset, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        app.screen.query_one("#preview-0").press()
        view = app.screen.query_one("#preview-view-0")
        assert await wait_until(pilot, lambda: CHOSEN in plain(view) or "Cannot" in plain(view), timeout=180)
        shown = " ".join(plain(view).split())
        assert "Cannot" not in shown, shown
        # the first pair of pairs.jsonl, as `tunedeck preview` counts it with the shipped tokenizer
        assert "pair 1 · prompt 41 · chosen 9 · rejected 9 tokens" in shown
        assert PROMPT in shown and CHOSEN in shown and REJECTED in shown
        assert "120 pairs (120 train, 0 eval)" in shown
        assert "trained" not in shown and "characters" not in shown  # not SFT's learned/masked wording
        content = view.content
        assert isinstance(content, Text)
        styles = {_style_at(content, PROMPT), _style_at(content, CHOSEN), _style_at(content, REJECTED)}
        assert len(styles) == 3, styles


def test_tunedeck_preview_words_the_pair_the_same_way(tmp_path: Path) -> None:
    import subprocess
    import sys

    preset = tmp_path / "dpo.yaml"
    preset.write_text(f"base_model: {MODEL}\nrl: dpo\nchat_template: tokenizer_default\n"
                      f"datasets:\n  - path: {PAIRS}\n    type: chat_template.default\nsequence_len: 128\n")
    # from tmp: the preset's default, relative output_dir puts the data cache beside it
    out = subprocess.run([sys.executable, "-m", "engine.cli", "preview", str(preset), "-n", "1"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "pair 1 · prompt 41 · chosen 9 · rejected 9 tokens · dataset 0" in out.stdout
    assert f"[chosen] {CHOSEN}" in out.stdout and f"[rejected] {REJECTED}" in out.stdout
