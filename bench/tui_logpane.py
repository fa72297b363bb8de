"""Log pane under a flood: a writer process appends 200,000 lines to train.log while the run screen runs headless.

Prints the lines/s the pane consumed, how responsive the UI stayed (lateness of a 20 Hz timer, and key-press
round trips, both during the flood) and the TUI process's peak RSS (VmHWM). Targets: responsive (timer lateness
well under 100 ms), peak RSS under 300 MB.

    python bench/tui_logpane.py [--lines 200000] [--size 120x40] [--rate LINES_PER_S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Label

from engine.runs import folder
from tui.screens.run import RunScreen
from tui.widgets.log_pane import LogPane

WRITER = r"""
import sys, time
path, total, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.perf_counter()
with open(path, "a", buffering=1 << 16) as fh:
    batch = []
    for i in range(total):
        if i % 1000 == 999:  # an evaluation: tqdm's nested bar, drawn a row down, cursor moved back up
            line = f"\r{p:3d}%|#####| {p}/100\x1b[A" if (p := (i // 1000) % 100) else "\r  0%|     | 0/100\x1b[A"
        elif i % 50 == 49:   # a tqdm bar rewritten in place, then ended
            line = "".join(f"\r{p:3d}%|{'#' * (p // 10):10s}| {p}/100 [00:01<00:02, 3.1it/s]"
                           for p in range(0, 101, 20))
        elif i % 7 == 0:   # ANSI colour, as logging handlers print it
            line = f"\x1b[32mINFO\x1b[0m step {i}: loss=\x1b[1m{1.0 / (1 + i):.5f}\x1b[0m lr=2e-4 tokens/s=1234.5"
        else:
            line = (f"{{'loss': {1.0 / (1 + i):.5f}, 'grad_norm': 0.51, 'learning_rate': 0.0002,"
                    f" 'epoch': {i / total:.4f}}}")
        batch.append(line)
        if len(batch) == 200:
            fh.write("\n".join(batch) + "\n")
            batch = []
            if rate:  # a sustained flood instead of one burst: lines/s the writer keeps to
                fh.flush()
                time.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    if batch:
        fh.write("\n".join(batch) + "\n")
    fh.write("FLOOD-END\n")
"""


class Host(App[None]):
    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir

    def compose(self) -> ComposeResult:
        yield Label("bench")

    def on_mount(self) -> None:
        self.push_screen(RunScreen(self.run_dir))


def ms(samples: list[float]) -> str:
    if not samples:
        return "no samples (the flood ended first)"
    return f"median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def bench(total: int, size: tuple[int, int], rate: float = 0.0) -> None:
    run_dir = Path(tempfile.mkdtemp(prefix="tunedeck-bench-")) / "run"
    run_dir.mkdir()
    (run_dir / folder.COMMAND_FILE).write_text("accelerate launch -m engine.train RUN\n")
    (run_dir / folder.LOG_FILE).write_text("")
    app = Host(run_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        pane = app.screen.query_one(LogPane)
        lateness: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:  # a 20 Hz timer: how late it fires is how long the UI was busy
            now = time.perf_counter()
            lateness.append(max(0.0, now - last[0] - 0.05))
            last[0] = now

        idle_presses = []
        for _ in range(5):  # the same round trip with nothing to read, for comparison
            t0 = time.perf_counter()
            await pilot.press("end")
            idle_presses.append(time.perf_counter() - t0)
        polls: list[tuple[float, float]] = []  # (wall, cpu) seconds of each read of the file
        original_poll = pane.poll

        def timed_poll() -> bool:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original_poll()
            finally:
                polls.append((time.perf_counter() - wall, time.thread_time() - cpu))

        pane.poll = timed_poll  # type: ignore[method-assign]
        pane._timer.stop()  # re-arm the file timer with the timed poll
        pane._timer = pane.set_interval(pane.poll_interval, pane.poll)
        timer = app.set_interval(0.05, tick)
        last[0] = time.perf_counter()
        handled: list[float] = []  # when the key's action ran
        original_follow = pane.action_follow

        def timed_follow() -> None:
            handled.append(time.perf_counter())
            original_follow()

        pane.action_follow = timed_follow  # type: ignore[method-assign]
        start = time.perf_counter()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir / folder.LOG_FILE), str(total), str(rate)],
                                  start_new_session=True)
        folder.write_json_atomic(run_dir / folder.STATE_FILE, {"run_id": "bench", "status": "running",
                                                               "pid": writer.pid, "pgid": writer.pid})
        presses: list[float] = []  # key sent -> its action ran
        settled: list[float] = []  # key sent -> the app idle again (Pilot's round trip, repaint included)
        while not (pane.lines and pane.lines[-1].startswith("FLOOD-END")):  # it may overwrite a bar
            t0 = time.perf_counter()
            await pilot.press("end")  # a key through the whole event path (the pane's "follow" binding)
            settled.append(time.perf_counter() - t0)
            if handled:
                presses.append(handled.pop() - t0)
            await pilot.pause(0.05)
            if time.perf_counter() - start > 120:
                raise SystemExit("the pane never reached the end of the flood")
        elapsed = time.perf_counter() - start
        writer_rc = writer.wait()
        await pilot.pause(0.3)
        timer.stop()
        await pilot.press("end")
        screen_text = "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())
    size_mb = (run_dir / folder.LOG_FILE).stat().st_size / 1e6
    pace = f"at {rate:,.0f} lines/s" if rate else "as fast as it can write"
    print(f"flood: {total:,} lines ({size_mb:.1f} MB) from a writer process {pace} (rc {writer_rc}),"
          f" screen {size[0]}x{size[1]}")
    print(f"consumed: {pane.lines_received:,} lines read in {elapsed:.2f} s -> {pane.lines_received / elapsed:,.0f}"
          f" lines/s; {pane.bytes_skipped / 1e6:.1f} MB jumped over while far behind (older than the"
          f" {pane.max_lines:,} kept lines anyway); kept {pane.line_count:,}")
    print(f"timer lateness during the flood (20 Hz): {ms(lateness)} over {len(lateness)} ticks")
    print(f"key press -> action: {ms(presses)} over {len(presses)} presses; until idle again: {ms(settled)}"
          f" (idle screen: {ms(idle_presses)})")
    busy = [p for p in polls if p[1] > 0.0005]
    print(f"file reads with new data: {len(busy)}, wall {ms([p[0] for p in busy])}, CPU {ms([p[1] for p in busy])}"
          f" (wall far above CPU = the machine was busy elsewhere; load average {os.getloadavg()[0]:.1f})")
    print(f"peak RSS of the TUI process: {peak_rss_mb():.0f} MB (target < 300 MB)")
    print(f"last line on screen: {'FLOOD-END' in screen_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--rate", type=float, default=0.0, help="lines/s the writer keeps to (default: no limit)")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    asyncio.run(bench(args.lines, (width, height), args.rate))


if __name__ == "__main__":
    main()
