"""Start-up time: process start → `tunedeck --help` done, and → the TUI mounted on a preset, against the smallest
Textual app mounted the same way, measured side by side (one of each in turn, so load from other work falls on
both). Target: TUI mounted ≤ 1.3 × the minimal Textual app.

    python bench/startup.py [--runs N] [--preset PRESET]

Each figure is the median wall time of N fresh processes (the OS file cache is warm after the first).
The TUI is mounted headless by this same script in a child process (``--headless PRESET``): it builds
``tui.app.TunedeckApp``, waits until every pending message is handled (the editor is on screen), and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3  # TUI mounted / minimal Textual app mounted


def mount_and_exit(preset: str | None) -> None:
    """Child mode: mount the app headless, let it settle, exit."""
    from tui.app import TunedeckApp

    async def main() -> None:
        try:
            app = TunedeckApp(preset, count_data=False)
        except TypeError:  # an app without the count_data switch
            app = TunedeckApp(preset)
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            await pilot.pause()

    asyncio.run(main())


def mount_minimal_and_exit() -> None:
    """Child mode: the smallest Textual app (a header, a label, a footer) mounted the same way: what any Textual
    app pays before its own code runs."""
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Minimal(App[None]):
        def compose(self):
            yield Header()
            yield Label("hello")
            yield Footer()

    async def main() -> None:
        async with Minimal().run_test(headless=True, size=(120, 40)) as pilot:
            await pilot.pause()

    asyncio.run(main())


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh process. CPU time hardly moves with other load on the
    machine, so its ratio is the steadier figure on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(argv: list[str], runs: int) -> float:
    return statistics.median(run_once(argv)[0] for _ in range(runs))


def side_by_side(first: list[str], second: list[str], runs: int) -> tuple[float, float, float, float]:
    """Medians of ``first``'s and ``second``'s wall times, of their ratio, and of the ratio of their CPU times, run
    alternately (each pair under the same load)."""
    pairs = [(run_once(first), run_once(second)) for _ in range(runs)]
    return (statistics.median(a[0] for a, _ in pairs), statistics.median(b[0] for _, b in pairs),
            statistics.median(a[0] / b[0] for a, b in pairs), statistics.median(a[1] / b[1] for a, b in pairs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="processes per measurement (median is reported)")
    parser.add_argument("--preset", default=str(REPO / "presets" / "tiny-cpu-demo.yaml"))
    parser.add_argument("--headless", metavar="PRESET", help=argparse.SUPPRESS)
    parser.add_argument("--minimal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal:
        mount_minimal_and_exit()
        return 0
    if args.headless is not None:
        mount_and_exit(args.headless or None)
        return 0

    py = sys.executable
    timed([py, "-c", "import textual"], 1)  # warm the file cache before measuring anything
    baseline = timed([py, "-c", "import textual"], args.runs)
    help_time = timed([py, "-m", "tui.cli", "--help"], args.runs)
    imported = 0.0
    try:
        import tui.app  # noqa: F401
    except ImportError as err:
        mounted = None
        print(f"tui.app is not importable yet ({err}); measuring --help only")
    else:
        imported = timed([py, "-c", "import tui.app"], args.runs)
        mounted, minimal, own_share, cpu_share = side_by_side([py, __file__, "--headless", args.preset],
                                                   [py, __file__, "--minimal"], args.runs)

    print(f"median of {args.runs} runs each")
    print(f"  python -c 'import textual'     {baseline * 1000:7.0f} ms   (1.00x)")
    print(f"  tunedeck --help                {help_time * 1000:7.0f} ms   ({help_time / baseline:.2f}x)")
    if mounted is not None:
        print(f"  python -c 'import tui.app'     {imported * 1000:7.0f} ms   ({imported / baseline:.2f}x)")
        verdict = "OK" if own_share <= TARGET_RATIO else "OVER TARGET"
        print(f"  minimal Textual app mounted    {minimal * 1000:7.0f} ms   ({minimal / baseline:.2f}x)")
        print(f"  TUI mounted on {Path(args.preset).name:<14}  {mounted * 1000:7.0f} ms   ({mounted / baseline:.2f}x)")
        print(f"  TUI mounted / minimal Textual app mounted: {own_share:.2f}x (median of the pairs)   "
              f"target ≤ {TARGET_RATIO}x: {verdict}")
        print(f"  the same in CPU time (user + system), steadier on a busy machine: {cpu_share:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
