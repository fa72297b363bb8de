"""The app never relaunches over a run's results without asking: F5 on a preset whose output_dir holds its stopped
run offers Resume / Start fresh / Cancel, and the runs list resumes a stopped run. Real launches (of the fake
trainer, tests/_runs_helpers) through the real launcher; Textual Pilot for the screens."""

from __future__ import annotations

from pathlib import Path

import pytest
from _resume_helpers import StoppedRun, run_folders, stopped_fake_run
from _tui_run_helpers import HostApp, screen_text, wait_until
from textual.pilot import Pilot
from textual.widgets import DataTable

from engine.runs import folder
from engine.runs.control import stop_run
from tui.app import TunedeckApp
from tui.screens.launch_choice import LaunchChoice
from tui.screens.run import RunScreen
from tui.screens.runs import RunsScreen

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StoppedRun:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    (tmp_path / "project").mkdir()
    return stopped_fake_run(tmp_path / "project", monkeypatch)


async def _f5_until_asked(pilot: Pilot[int], app: TunedeckApp) -> None:
    await pilot.press("f5")
    # Standing warnings are asked about first (their own dialog): launch anyway, then comes the folder question.
    asked = await wait_until(pilot, lambda: isinstance(app.screen, LaunchChoice)
                             or type(app.screen).__name__ == "ConfirmLaunch", timeout=30)
    if asked and type(app.screen).__name__ == "ConfirmLaunch":
        await pilot.press("l")
    assert await wait_until(pilot, lambda: isinstance(app.screen, LaunchChoice), timeout=30)
    # The dialog is the screen before it has drawn its text (seen on a loaded CI machine): wait for its buttons.
    assert await wait_until(pilot, lambda: "Cancel (esc)" in screen_text(app), timeout=30)


async def test_f5_asks_then_cancel_launches_nothing_and_resume_resumes(stopped: StoppedRun) -> None:
    app = TunedeckApp(stopped.preset, count_data=False)
    before = run_folders(stopped.output_dir)
    run_dir = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await _f5_until_asked(pilot, app)
            text = " ".join(screen_text(app).split())
            assert f"checkpoint-{stopped.step} of this preset" in text and f"from step {stopped.step}" in text, text
            assert "Resume (r)" in text and "Start fresh (f)" in text and "Cancel (esc)" in text
            await pilot.press("escape")
            assert await wait_until(pilot, lambda: not isinstance(app.screen, LaunchChoice), timeout=30)
            await pilot.pause(1.0)  # nothing may start afterwards either
            assert run_folders(stopped.output_dir) == before

            await _f5_until_asked(pilot, app)
            await pilot.press("r")
            assert await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), timeout=60)
            assert isinstance(app.screen, RunScreen)
            run_dir = app.screen.run_dir
            assert run_dir.parent == stopped.output_dir / "runs"
            assert f"resume_from_checkpoint: {stopped.checkpoint}" in (run_dir / folder.PRESET_FILE).read_text()
            assert await wait_until(pilot, lambda: f"resumed from step {stopped.step}" in screen_text(app))
    finally:
        if run_dir is not None:
            stop_run(run_dir, timeout=60)


async def test_f5_start_fresh_trains_in_a_new_folder(stopped: StoppedRun) -> None:
    app = TunedeckApp(stopped.preset, count_data=False)
    run_dir = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await _f5_until_asked(pilot, app)
            await pilot.press("f")
            assert await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), timeout=60)
            assert isinstance(app.screen, RunScreen)
            run_dir = app.screen.run_dir
            assert run_dir.parent == stopped.output_dir.with_name("out-2") / "runs"
            assert "resume_from_checkpoint" not in (run_dir / folder.PRESET_FILE).read_text()
        assert (stopped.checkpoint / "optimizer.pt").is_file() and len(run_folders(stopped.output_dir)) == 1
    finally:
        if run_dir is not None:
            stop_run(run_dir, timeout=60)


async def test_runs_list_resumes_a_stopped_run(stopped: StoppedRun) -> None:
    app = HostApp(lambda: RunsScreen())
    resumed = None
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            table = app.screen.query_one(DataTable)
            assert await wait_until(pilot, lambda: table.row_count == 1)
            assert str(table.get_row_at(0)[1]) == "stopped"
            assert await wait_until(pilot, lambda: "r Resume" in screen_text(app))  # offered for a stopped run
            await pilot.press("r")
            assert await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), timeout=60)
            assert isinstance(app.screen, RunScreen)
            resumed = app.screen.run_dir
            assert resumed != stopped.run_dir and resumed.parent == stopped.output_dir / "runs"
            assert folder.read_state(resumed)["resumed_from_step"] == stopped.step
            await pilot.press("r")  # back to the list, which shows where the new run resumed
            assert await wait_until(pilot, lambda: isinstance(app.screen, RunsScreen))
            table = app.screen.query_one(DataTable)
            assert await wait_until(pilot, lambda: table.row_count == 2)
            assert await wait_until(pilot, lambda: f"(from {stopped.step})" in str(table.get_row_at(0)[2]))
    finally:
        if resumed is not None:
            stop_run(resumed, timeout=60)
