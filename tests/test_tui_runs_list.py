"""The runs list: the index's runs newest first, with status/step/loss; Enter re-attaches (past or live)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_run_helpers import (
    HostApp,
    failed_run,
    finished_run,
    kill_group,
    loaded,
    make_run_dir,
    screen_text,
    start_fake_trainer,
    wait_until,
    write_event,
)
from textual.widgets import DataTable

from engine.runs import folder
from engine.runs.index import register_run
from tui.screens.run import RunScreen
from tui.screens.runs import RunsScreen

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty run index just for this test."""
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    return tmp_path


async def test_lists_runs_and_reattaches_to_a_past_one(home: Path) -> None:
    done = finished_run(home / "a", steps=20)
    broken = failed_run(home / "b")
    folder.update_state(broken, started_at=folder.read_state(done)["started_at"] + 60)  # the newer one
    register_run(done)
    register_run(broken)
    app = HostApp(lambda: RunsScreen())
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 2)
        newest, oldest = (table.get_row_at(i) for i in range(2))
        assert newest[0] == "20260101-100000-broken" and str(newest[1]) == "failed"
        assert oldest[0] == "20260101-100000-chat" and str(oldest[1]) == "finished"
        assert oldest[2] == "20/20" and oldest[3] == "0.4286" and oldest[5] == "chat.yaml"
        assert "2026-01-01" in oldest[4]
        await pilot.press("down", "enter")
        await loaded(pilot, app)
        screen = app.screen
        assert isinstance(screen, RunScreen) and screen.run_dir == done
        assert screen.status == "finished" and len(screen.view.losses.values) == 20  # the whole history
        # "Runs" from a screen opened from the list goes back to the list, not deeper.
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and len(app.screen_stack) == 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#home")


async def test_resume_follows_the_highlighted_run_and_a_reread_keeps_the_footer(home: Path) -> None:
    """Resume is offered on the failed run, not the finished one. The list is reread every few seconds: the footer
    is rebuilt only when what it offers changes (a footer rebuilt on every reread flickers over SSH and raced the
    run-list snapshot)."""
    from textual.widgets._footer import FooterKey

    done = finished_run(home / "a", steps=20)
    broken = failed_run(home / "b")
    folder.update_state(broken, started_at=folder.read_state(done)["started_at"] + 60)  # newest, so first
    register_run(done)
    register_run(broken)
    app = HostApp(lambda: RunsScreen(refresh_interval=0.1))
    async with app.run_test(size=(100, 24)) as pilot:
        screen = app.screen
        table = screen.query_one(DataTable)

        def offers_resume() -> bool:
            return any(k.action == "resume" for k in screen.query(FooterKey))

        assert await wait_until(pilot, lambda: table.row_count == 2 and offers_resume())
        keys = set(screen.query(FooterKey))
        await pilot.pause(0.6)  # several rereads
        assert set(screen.query(FooterKey)) == keys  # the very same widgets: not rebuilt
        await pilot.press("down")  # the finished run
        assert await wait_until(pilot, lambda: not offers_resume())
        await pilot.press("up")
        assert await wait_until(pilot, offers_resume)


async def test_reattaches_to_a_live_run(home: Path) -> None:
    run_dir = make_run_dir(home / "live", "20260101-110000-live")
    proc = start_fake_trainer(run_dir, steps=300, step_seconds=0.1)
    register_run(run_dir)
    try:
        app = HostApp(lambda: RunsScreen(refresh_interval=0.3))
        async with app.run_test(size=(100, 24)) as pilot:
            table = app.screen.query_one(DataTable)
            assert await wait_until(pilot, lambda: table.row_count == 1 and str(table.get_row_at(0)[1]) == "running")
            first_step = table.get_row_at(0)[2]
            assert await wait_until(pilot, lambda: table.get_row_at(0)[2] != first_step)  # refreshes by itself
            await pilot.press("enter")
            await loaded(pilot, app)
            screen = app.screen
            assert isinstance(screen, RunScreen)
            step = screen.view.step
            assert await wait_until(pilot, lambda: screen.view.step > step and screen.status == "running")
            assert "fake trainer starting" in screen_text(app)
    finally:
        kill_group(proc)


async def test_empty_index_says_how_to_start(home: Path) -> None:
    app = HostApp(lambda: RunsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_until(pilot, lambda: "No runs yet" in screen_text(app))
        await pilot.press("enter")  # nothing to attach to: stays
        assert isinstance(app.screen, RunsScreen)


def test_status_reads_only_the_ends_of_a_long_run(home: Path) -> None:
    from engine.runs.status import run_info

    big = make_run_dir(home / "c", "20260101-120000-long", status="running", pid=2**22 + 7, pgid=2**22 + 7)
    write_event(big, "start", total_steps=30_000)
    for step in range(1, 3_001):  # ~500 KB of events: status reads only both ends
        write_event(big, "step", step=step, total_steps=30_000, loss=1.0 / step, learning_rate=1e-4)
    info = run_info(big)
    assert (info.status, info.step, info.total_steps, info.loss) == ("failed", 3000, 30_000, 1.0 / 3000)
    assert len(info.view.losses.values) < 3000  # its process is gone: truthful; and not every step was read


def test_lister_rereads_only_runs_that_changed(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.runs import listing

    done = finished_run(home / "a")
    register_run(done)
    lister = listing.RunLister()
    calls: list[Path] = []
    real = listing.run_info

    def counting(run_dir: Path) -> listing.RunInfo:
        calls.append(run_dir)
        return real(run_dir)

    monkeypatch.setattr(listing, "run_info", counting)
    assert [r.status for r in lister.list()] == ["finished"]
    assert [r.status for r in lister.list()] == ["finished"]
    assert len(calls) == 1  # a finished run whose files did not change is not read again
    write_event(done, "checkpoint", step=20, path="out/extra")
    lister.list()
    assert len(calls) == 2


async def test_a_damaged_state_json_is_listed_as_unreadable_beside_the_others(home: Path) -> None:
    done = finished_run(home / "a")
    damaged = make_run_dir(home / "b", "20260101-100000-damaged")
    (damaged / folder.STATE_FILE).write_text("[1, 2]")  # valid JSON, not a state: reading .get() on it crashed
    register_run(done)
    register_run(damaged)
    app = HostApp(lambda: RunsScreen())
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 2)
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(2)}
        assert str(rows["20260101-100000-chat"][1]) == "finished"
        assert str(rows["20260101-100000-damaged"][1]) == "unreadable"

        def shown() -> str:
            return " ".join(screen_text(app).split())  # the note wraps at 120 columns

        assert await wait_until(pilot, lambda: "holds a JSON list, not an object" in shown())
        assert f"unreadable: {damaged / folder.STATE_FILE}" in shown()
        keys = [str(table.get_row_at(i)[0]) for i in range(2)]
        await pilot.press(*["down"] * keys.index("20260101-100000-damaged"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)  # nothing to follow: it says what is wrong and stays
