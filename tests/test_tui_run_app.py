"""The run screens inside the real app: a failed run's culprit knob opens the editor there; detach goes back."""

from __future__ import annotations

from pathlib import Path

import pytest
from _runs_helpers import write_preset
from _tui_run_helpers import failed_run, finished_run, loaded, wait_until

from engine.runs import folder
from tui.app import TunedeckApp
from tui.screens.editor import EditorScreen
from tui.screens.run import RunScreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def focused_ids(app: TunedeckApp) -> list[str]:
    """Ids of the focused widget and its ancestors (the knob's field wraps the input that has focus)."""
    if app.focused is None:
        return []
    return [str(node.id) for node in (app.focused, *app.focused.ancestors)]


async def test_culprit_knob_opens_the_editor_on_it(tmp_path: Path) -> None:
    preset = write_preset(tmp_path, sequence_len=64)
    run_dir = failed_run(tmp_path / "runs")
    folder.update_state(run_dir, preset=str(preset))
    app = TunedeckApp(preset, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        app.show_run(run_dir)
        await loaded(pilot, app)
        assert isinstance(app.screen, RunScreen) and app.screen.status == "failed"
        await pilot.press("k")
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert await wait_until(pilot, lambda: focused_ids(app) and "knob-sequence-len" in focused_ids(app))


async def test_detach_returns_to_the_editor(tmp_path: Path) -> None:
    preset = write_preset(tmp_path)
    run_dir = finished_run(tmp_path / "runs")
    app = TunedeckApp(preset, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        app.show_run(run_dir)
        await loaded(pilot, app)
        await pilot.press("d")
        assert await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.is_running
