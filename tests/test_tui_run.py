"""Run screen Pilot tests on run folders written while the screen watches (a thread, or a real trainer process)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from _runs_helpers import wait_for
from _tui_run_helpers import (
    HostApp,
    failed_run,
    finished_run,
    kill_group,
    loaded,
    make_run_dir,
    pid_alive,
    screen_text,
    start_fake_trainer,
    wait_until,
    write_event,
    write_log,
)
from textual.widgets import Label, Static

from engine.runs import folder
from tui.screens.run import RunScreen
from tui.widgets.log_pane import LogPane
from tui.widgets.metrics import MetricChart, ProgressLine
from tui.widgets.scroll_text import ScrollText

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def log_pane(app: HostApp) -> LogPane:
    return app.screen.query_one(LogPane)


async def test_live_run_shows_log_progress_loss_and_finish(tmp_path: Path) -> None:
    # The "trainer" is a thread of this test: the run's recorded process is this one, so it is truly alive.
    run_dir = make_run_dir(tmp_path, command="accelerate launch --num_processes 1 -m engine.train RUN",
                           pid=os.getpid(), pgid=os.getpgrp())
    go_on = threading.Event()

    def trainer() -> None:
        write_event(run_dir, "start", time.time(), total_steps=4, num_epochs=1)
        write_log(run_dir, "\x1b[31mwarning in red\x1b[0m\n")
        for step in range(1, 5):
            write_log(run_dir, f"\r{step * 25:3d}%|{'#' * step:4s}| {step}/4")
            write_event(run_dir, "step", time.time(), step=step, total_steps=4, epoch=step / 4, loss=4.0 / step,
                        learning_rate=1e-4, tokens_per_second=321.0, eta_seconds=10.0 * (4 - step))
            if step == 2:
                go_on.wait(10)
            time.sleep(0.05)  # a step takes time: the screen sees the run mid-way
        write_log(run_dir, "\nall done\n")
        write_event(run_dir, "finished", time.time(), step=4, output_dir="out", adapter_dir="out/adapter")

    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunScreen)
        thread = threading.Thread(target=trainer, daemon=True)
        thread.start()
        assert "accelerate launch --num_processes 1 -m engine.train RUN" in screen_text(app)
        # Mid-run: step 2 of 4, the bar line still being rewritten.
        assert await wait_until(pilot, lambda: screen.view.step == 2 and screen.status == "running"
                                and log_pane(app).lines[-1] == " 50%|##  | 2/4" and "50%" in screen_text(app))
        text = screen_text(app)
        assert "2/4" in text and "50%" in text
        assert log_pane(app).lines[-1] == " 50%|##  | 2/4"  # partial line: only its latest state
        assert "loss 2" in str(screen.query_one("#loss", MetricChart).query_one(Label).render())
        go_on.set()
        assert await wait_until(pilot, lambda: screen.status == "finished" and log_pane(app).lines[-1] == "all done"
                                and "saved to out/adapter" in screen_text(app))
        thread.join(5)
        lines = log_pane(app).lines
        assert "100%|####| 4/4" in lines and " 25%|#   | 1/4" not in lines  # tqdm collapsed
        assert lines[-1] == "all done"
        red = log_pane(app).render_line(lines.index("\x1b[31mwarning in red\x1b[0m") - log_pane(app).scroll_offset.y)
        assert any(seg.text == "warning in red" and seg.style and seg.style.color and seg.style.color.number == 1
                   for seg in red)  # ANSI turned into colour, codes gone
        text = screen_text(app)
        assert "finished" in text and "4/4" in text and "100%" in text and "saved to out/adapter" in text
        assert "ETA" not in text and "took" in text
        assert screen.view.losses.values == [4.0, 2.0, 4.0 / 3, 1.0]
        # A finished run cannot be stopped: the binding is gone from the footer.
        assert screen.check_action("stop", ()) is False


async def test_past_run_shows_its_whole_history(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path, steps=20)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        screen = app.screen
        assert screen.status == "finished"
        assert len(screen.view.losses.values) == 20
        assert screen.view.eval_losses[-1][0] == 20 and len(screen.view.checkpoints) == 2
        text = screen_text(app)
        assert "eval loss" in text and "last checkpoint @ 20" in text
        assert "100%|##########| 20/20" in log_pane(app).lines  # the bar shows only its last state


async def test_failed_run_shows_why_and_offers_the_culprit_knob(tmp_path: Path) -> None:
    run_dir = failed_run(tmp_path)
    preset = tmp_path / "chat.yaml"
    preset.write_text("sequence_len: 99999\n")
    folder.update_state(run_dir, preset=str(preset))
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        screen = app.screen
        assert screen.status == "failed"
        error = str(screen.query_one("#error", ScrollText).body.render())
        assert "Training failed: sequence_len 99999 is longer than the model supports" in error
        assert "Culprit knob: sequence_len" in error
        assert "ValueError: sequence_len 99999 is longer than the model's 512 positions" in error  # log tail
        assert screen.check_action("open_knob", ()) is True
        assert await wait_until(pilot, lambda: "k Fix" in screen_text(app))  # in the footer
        await pilot.press("k")
        await pilot.pause()
        assert len(app.messages) == 1
        assert app.messages[0].key == "sequence_len" and app.messages[0].preset_path == preset


async def test_failed_run_without_error_event_still_explains(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path, status="running", pid=2**22 + 12345, pgid=2**22 + 12345)  # no such process
    write_event(run_dir, "start", total_steps=5)
    write_log(run_dir, "step 1\nKilled\n")
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        assert app.screen.status == "failed"  # run_status is truthful: the pid is gone
        error = str(app.screen.query_one("#error", ScrollText).body.render())
        assert "ended without a final event" in error and "Killed" in error  # the runs module's reason, the log
        assert app.screen.check_action("open_knob", ()) is False


async def test_stop_stops_a_real_trainer_gracefully(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    proc = start_fake_trainer(run_dir, steps=200, step_seconds=0.1)
    try:
        app = HostApp(lambda: RunScreen(run_dir, status_interval=0.2))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            assert await wait_until(pilot, lambda: screen.view.step >= 2 and screen.status == "running")
            await pilot.press("s")
            assert await wait_until(pilot, lambda: screen.status in ("stopping…", "stopped"))
            assert await wait_until(pilot, lambda: screen.status == "stopped", timeout=30)
            assert (run_dir / folder.STOP_FILE).exists()
            assert await wait_until(pilot, lambda: any(line.startswith("stop requested: saved checkpoint-")
                                                       for line in log_pane(app).lines))
            assert "checkpoint" in screen_text(app)
        assert proc.wait(timeout=20) == 0
        assert folder.read_events(run_dir)[-1]["event"] == "stopped"
    finally:
        kill_group(proc)


async def test_detach_and_quit_leave_the_trainer_running(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    proc = start_fake_trainer(run_dir, steps=300, step_seconds=0.1)
    try:
        app = HostApp(lambda: RunScreen(run_dir))
        async with app.run_test(size=(100, 30)) as pilot:
            assert await wait_until(pilot, lambda: app.screen.view.step >= 1)
            await pilot.press("d")
            await pilot.pause()
            assert not isinstance(app.screen, RunScreen)
            assert app.screen.query_one("#home")  # back on the screen it came from
        # The app has quit: training goes on and keeps writing its folder.
        step = folder.read_events(run_dir)[-1].get("step", 0)
        assert wait_for(lambda: folder.read_events(run_dir)[-1].get("step", 0) > step)
        assert pid_alive(proc.pid)
        assert not (run_dir / folder.STOP_FILE).exists()
    finally:
        kill_group(proc)


async def test_detach_with_nothing_below_quits_the_app(tmp_path: Path) -> None:
    from textual.app import App

    run_dir = finished_run(tmp_path)

    class Bare(App[None]):
        def on_mount(self) -> None:
            self.push_screen(RunScreen(run_dir))

    app = Bare()
    async with app.run_test() as pilot:
        await pilot.press("d")
        await pilot.pause()
    assert app.return_code == 0


async def test_log_pane_stays_bounded_and_follows_the_end(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    write_log(run_dir, "".join(f"line {i}\n" for i in range(12_000)))
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        pane = log_pane(app)
        assert pane.lines[-1] == "line 11999" and pane.line_count <= pane.max_lines
        write_log(run_dir, "".join(f"more {i}\n" for i in range(6_000)))
        assert await wait_until(pilot, lambda: pane.lines[-1] == "more 5999")
        assert pane.max_lines == 5_000 <= pane.line_count <= 5_002  # kept lines, plus the live row(s) under them
        assert pane.is_vertical_scroll_end
        assert "more 5999" in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_progress_line_fits_small_terminals(tmp_path: Path, size: tuple[int, int]) -> None:
    run_dir = finished_run(tmp_path)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        progress = app.screen.query_one(ProgressLine)
        first_line = str(progress.render()).splitlines()[0]
        assert first_line.endswith("20/20 100%") and len(first_line) <= progress.size.width


async def test_scrolled_up_reader_keeps_their_place_until_end(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    write_log(run_dir, "".join(f"line {i}\n" for i in range(6_000)))
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = log_pane(app)
        assert await wait_until(pilot, lambda: pane.line_count >= 5_000 and pane.is_vertical_scroll_end)
        pane.scroll_to(y=2_000, animate=False, immediate=True)
        await pilot.pause()
        assert not pane.following
        assert "scrolled up · End follows again" in screen_text(app)  # said where the reader looks
        watched = pane.lines[2_000]
        write_log(run_dir, "".join(f"more {i}\n" for i in range(300)))
        assert await wait_until(pilot, lambda: pane.lines[-1] == "more 299")
        assert pane.lines[round(pane.scroll_y)] == watched  # old lines dropped, the view did not jump
        pane.focus()
        await pilot.press("end")
        await pilot.pause()
        assert pane.following and pane.is_vertical_scroll_end
        assert "scrolled up" not in screen_text(app)


def test_the_run_screens_do_not_load_the_training_stack() -> None:
    import json
    import subprocess
    import sys

    probe = (
        "import sys, json\n"
        "import tui.screens.run, tui.screens.runs, tui.widgets.log_pane, tui.widgets.metrics\n"
        "from engine.runs.status import run_info\n"
        "run_info('.')\n"
        "print(json.dumps([m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate')"
        " if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


async def test_a_run_stopped_by_force_says_so(tmp_path: Path) -> None:
    # What stop_run records when the trainer ignored the stop file and SIGTERM: no final event, state says why.
    run_dir = make_run_dir(tmp_path, status="stopped", message="stopped by SIGKILL before the trainer wrote a "
                           "final event; no checkpoint saved")
    write_event(run_dir, "start", total_steps=10)
    write_event(run_dir, "step", step=3, total_steps=10, loss=1.5)
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot, app)
        assert app.screen.status == "stopped"
        outcome = str(app.screen.query_one("#outcome", Static).render())
        assert "stopped at step 3" in outcome and "SIGKILL" in outcome and "no checkpoint saved" in outcome
        assert app.screen.check_action("stop", ()) is False


async def test_attaching_to_a_big_log_reads_only_its_end(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    write_log(run_dir, "".join(f"old line {i:08d} {'x' * 80}\n" for i in range(30_000)))  # ~3 MB
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        pane = log_pane(app)
        assert "MB of train.log not shown here" in pane.plain_lines()[0]
        assert pane.lines[-1].startswith("old line 00029999")
        assert pane.line_count < 3_000  # ~200 KB of it, not the whole file
        assert pane.bytes_skipped > 2_500_000
