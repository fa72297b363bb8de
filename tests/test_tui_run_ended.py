"""The run screen of a run that is no longer live: its keys say what they do, and it shows the run's real length."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _runs_helpers import use_fake_trainer, wait_for
from _runs_helpers import write_preset as write_runs_preset
from _tui_run_helpers import (
    HostApp,
    failed_run,
    finished_run,
    loaded,
    make_run_dir,
    screen_text,
    wait_until,
    write_event,
)

from engine.runs import folder
from engine.runs.control import stop_run
from engine.runs.launch import launch
from tui.formatting import format_duration
from tui.screens.run import RunScreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def stopped_run(root: Path) -> Path:
    run_dir = make_run_dir(root, "20260101-100000-stopped", status="stopped")
    write_event(run_dir, "start", total_steps=10)
    write_event(run_dir, "step", step=3, total_steps=10, loss=1.5)
    write_event(run_dir, "stopped", step=3, checkpoint="out/checkpoint-3")
    return run_dir


def footer_text(app: HostApp) -> str:
    return screen_text(app).splitlines()[-1]


@pytest.mark.parametrize("make", [finished_run, failed_run, stopped_run], ids=["finished", "failed", "stopped"])
async def test_an_ended_run_goes_back_with_escape_and_says_back(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    run_dir = make(tmp_path)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: "Back" in footer_text(app))
        assert "Detach" not in footer_text(app)  # nothing is left running to detach from
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: not isinstance(app.screen, RunScreen))
        assert app.screen.query_one("#home")


async def test_a_live_run_says_detach_and_escape_leaves_it_running(tmp_path: Path) -> None:
    import os

    run_dir = make_run_dir(tmp_path, pid=os.getpid(), pgid=os.getpgrp())  # this process: truly alive
    write_event(run_dir, "start", total_steps=10)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: app.screen.status == "running" and "Detach" in footer_text(app))
        assert "Back" not in footer_text(app)
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: not isinstance(app.screen, RunScreen))
    assert not (run_dir / folder.STOP_FILE).exists()


@pytest.mark.slow
async def test_a_stopped_run_took_its_wall_time_from_launch_to_end(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A real launch (accelerate and a stand-in trainer): the start event comes only once the processes are up.
    use_fake_trainer(monkeypatch, step_seconds=0.2)
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    handle = launch(write_runs_preset(tmp_path, max_steps=500))
    assert wait_for(lambda: any(e["event"] == "step" for e in folder.read_events(handle.run_dir)), 180)
    assert stop_run(handle.run_dir) == "stopped"
    state = folder.read_state(handle.run_dir)
    took = f"took {format_duration(state['ended_at'] - state['started_at'])}"
    app = HostApp(lambda: RunScreen(handle.run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: took in screen_text(app)), screen_text(app)
