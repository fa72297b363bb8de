"""Snapshots of the run screen on fixed run folders (fixed times, UTC), at 80×24 and 120×40.

Update after an intended change with `pytest tests/test_tui_snapshots_run.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _tui_run_helpers import HostApp, failed_run, finished_run, loaded

from tui.screens.run import RunScreen

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start times are shown in local time: pin it."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def settle(pilot: Any) -> None:
    await loaded(pilot, pilot.app)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_finished_run(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    run_dir = finished_run(tmp_path, steps=20)
    assert snap_compare(HostApp(lambda: RunScreen(run_dir)), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failed_run(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    run_dir = failed_run(tmp_path)
    assert snap_compare(HostApp(lambda: RunScreen(run_dir)), terminal_size=size, run_before=settle)


def test_runs_list(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.runs import folder
    from engine.runs.index import register_run
    from tui.screens.runs import RunsScreen

    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    done = finished_run(tmp_path / "a", steps=20)
    broken = failed_run(tmp_path / "b")
    folder.update_state(broken, started_at=folder.read_state(done)["started_at"] + 3600)
    register_run(done)
    register_run(broken)

    async def listed(pilot: Any) -> None:
        from _tui_run_helpers import columns_sized, wait_until
        from textual.widgets import DataTable
        from textual.widgets._footer import FooterKey

        screen = pilot.app.screen
        table = screen.query_one(DataTable)
        assert await wait_until(pilot, lambda: table.row_count == 2 and columns_sized(table), timeout=60)
        # The newest run failed and is highlighted: the footer gains Resume only after the rows land.
        assert await wait_until(pilot, lambda: any(k.action == "resume" for k in screen.query(FooterKey)),
                                timeout=60)
        await pilot.pause()

    # No periodic reread during the snapshot: it would only add a moving part.
    app = HostApp(lambda: RunsScreen(refresh_interval=3600))
    assert snap_compare(app, terminal_size=(80, 24), run_before=listed)
