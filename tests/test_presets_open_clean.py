"""A shipped preset opens in the editor with no warning that its own comments do not explain.

A newcomer who opens the demo and sees "learning_rate is high" cannot tell a broken preset from a deliberate
choice: every warning the editor shows on open (validation warnings and the live panel's mentor notes, with the
data counted as the editor counts it) must be answered by the comment on or just above the key's line, which
says that tunedeck warns and why the value is right here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_editor_helpers import REPO, sync, wait_until

from tui.app import TunedeckApp
from tui.screens.open import shipped_presets

SHIPPED = shipped_presets(REPO / "presets")


def comment_for(text: str, key: str) -> str:
    """The end-of-line comment of ``key``'s line and the comment lines right above it."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.lstrip().removeprefix("- ").startswith(f"{key}:"))
    found = [lines[index].partition("#")[2]]
    above = index - 1
    while above >= 0 and lines[above].lstrip().startswith("#"):
        found.append(lines[above].lstrip("# "))
        above -= 1
    return " ".join(found)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@sync
async def test_shipped_preset_opens_with_no_unexplained_warning(path: Path) -> None:
    app = TunedeckApp(path, count_data=True)  # counted as on a real open: some notes need the row count
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        state = app.screen.state
        await wait_until(pilot, lambda: not state.counts.counting, timeout=120)
        shown = [p for p in state.problems if p.severity == "warning"] + state.live().warnings
    text = path.read_text()
    for note in shown:
        key = note.key.split(".")[-1]
        assert key in text, f"{path.name}: warning on {note.key}, a key the preset does not set: {note.message}"
        assert "warn" in comment_for(text, key).lower(), (
            f"{path.name} opens with a warning its comments do not explain: {note.key}: {note.message}")
