"""Start-up time: process start → `tunedeck --help` done, and → the TUI's first frame on a preset, against the
smallest Textual app's first frame, measured side by side (one of each in turn, so load from other work falls on
both). Target: the TUI's first frame ≤ 1.3 × the minimal Textual app's.

    python bench/startup.py [--runs N] [--preset PRESET]

Each figure is the median wall time of N fresh processes, after one unmeasured run of each: the OS file cache,
Python's bytecode cache and the preset's remembered values ($TUNEDECK_HOME/cache/preset-values) are warm, as they
are for anyone who has opened the preset once (the bytecode cache is written even where PYTHONDONTWRITEBYTECODE is
set in the environment: a user's install has it).

A child process (this script with ``--child MODE``) builds the app headless and stops at the
first frame Textual renders of the app's own screen: for the TUI, the editor with the preset's values in its
fields. A third app, the editor's layout built from plain Textual widgets, shows what Textual alone needs for that
screen. What the editor does after that frame (the live numbers, the checks ``validate`` runs, the memory
estimate, the data count) is timed too, as "settled": the time until every pending message is handled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3  # TUI first frame / minimal Textual app first frame


def _stop_at_first_frame(app: Any) -> None:
    """Make ``app`` leave the process at the first frame it renders of a screen with widgets (Textual's default
    screen of an app that pushes its own is blank), printing the monotonic clock then."""
    display = app._display

    def first_frame(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and screen.children:
            print(f"FIRST_FRAME {time.monotonic():.6f}", flush=True)
            os._exit(0)

    app._display = first_frame


def run_child(mode: str, preset: str) -> None:
    """Child mode: build an app headless; stop at its first frame ("...-first") or once it has settled."""
    app: Any
    if mode.startswith("minimal"):
        from textual.app import App, ComposeResult
        from textual.widgets import Footer, Header, Label

        class Minimal(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                yield Label("hello")
                yield Footer()

        app = Minimal()
    elif mode.startswith("layout"):
        app = _bare_layout_app()
    else:
        import gc

        import tui.cli  # noqa: F401  (the console command's module: `tunedeck PRESET` loads it first)

        gc.disable()  # as tui.cli.run_app starts the TUI: the app resumes it after its first frame
        from tui.app import app_for_this_process  # as `tunedeck PRESET` builds it

        app = app_for_this_process(preset, count_data=False)
    if mode.endswith("first"):
        _stop_at_first_frame(app)

    async def main() -> None:
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            await pilot.pause()

    asyncio.run(main())


def _bare_layout_app() -> Any:
    """What Textual alone needs for the editor's first screen: its layout and widget kinds (header, section list,
    one field in a form, help and live panels, a strip, a footer with the editor's shown keys), no tunedeck code."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding, BindingType
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.widgets import ContentSwitcher, Footer, Header, Input, Label, OptionList, Static

    class BareLayout(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [Binding(key, key, name) for key, name in (
            ("ctrl+s", "Save"), ("f5", "Launch"), ("f1", "Help"), ("ctrl+b", "All"), ("ctrl+t", "Panel"),
            ("f3", "YAML"), ("f6", "Runs"))]

        def compose(self) -> ComposeResult:
            yield Header()
            with Horizontal():
                yield OptionList(*[f"Section {i}" for i in range(9)])
                with Vertical():
                    yield Static("")
                    with ContentSwitcher(initial="form"), VerticalScroll(id="form"):
                        yield Static("Model")
                        with Vertical():
                            yield Label("base_model  The model to fine-tune")
                            yield Input("presets/tiny/model")
                            yield Static("")
                with Vertical():
                    yield Static("help text\n" * 8)
                    with Vertical():
                        yield Static("live numbers\n" * 6)
                        yield Static("memory estimate\n" * 4)
            yield Static("strip")
            yield Footer()

    return BareLayout()


def child_env() -> dict[str, str]:
    """The environment as a user has it: Python writes and reads its bytecode cache."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall time (to the child's first frame when it prints one, else to its exit) and CPU time (user + system) of
    one fresh process. CPU time hardly moves with other load on the machine, so its ratio is the steadier figure on
    a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=child_env())
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("FIRST_FRAME "):
            wall = float(line.split()[1]) - start
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(argv: list[str], runs: int) -> float:
    run_once(argv)  # unmeasured: warms the file and bytecode caches
    return statistics.median(run_once(argv)[0] for _ in range(runs))


def side_by_side(first: list[str], second: list[str], runs: int) -> tuple[float, float, float, float]:
    """Medians of ``first``'s and ``second``'s wall times, of their ratio, and of the ratio of their CPU times, run
    alternately (each pair under the same load)."""
    run_once(first)
    run_once(second)
    pairs = [(run_once(first), run_once(second)) for _ in range(runs)]
    return (statistics.median(a[0] for a, _ in pairs), statistics.median(b[0] for _, b in pairs),
            statistics.median(a[0] / b[0] for a, b in pairs), statistics.median(a[1] / b[1] for a, b in pairs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="processes per measurement (median is reported)")
    parser.add_argument("--preset", default=str(REPO / "presets" / "tiny-cpu-demo.yaml"))
    parser.add_argument("--child", choices=["tui-first", "tui-settled", "minimal-first", "minimal-settled",
                                            "layout-first"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.preset)
        return 0

    py = sys.executable
    child = [py, __file__, "--preset", args.preset, "--child"]
    baseline = timed([py, "-c", "import textual"], args.runs)
    help_time = timed([py, "-m", "tui.cli", "--help"], args.runs)
    imported = timed([py, "-c", "import tui.app"], args.runs)
    first, minimal, ratio, cpu_ratio = side_by_side([*child, "tui-first"], [*child, "minimal-first"], args.runs)
    settled, minimal_settled, settled_ratio, _ = side_by_side([*child, "tui-settled"], [*child, "minimal-settled"],
                                                             args.runs)
    layout, _, layout_ratio, _ = side_by_side([*child, "layout-first"], [*child, "minimal-first"], args.runs)
    name = Path(args.preset).name
    rows = [
        ("python -c 'import textual'", baseline, ""),
        ("tunedeck --help", help_time, f"{help_time / baseline:.2f}x import textual"),
        ("python -c 'import tui.app'", imported, f"{imported / baseline:.2f}x import textual"),
        ("minimal Textual app, first frame", minimal, ""),
        (f"TUI on {name}, first frame", first, ""),
    ]
    print(f"median of {args.runs} runs each, from process start")
    for label, seconds, note in rows:
        print(f"  {label:<40} {seconds * 1000:7.0f} ms" + (f"   ({note})" if note else ""))
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"  TUI first frame / minimal app first frame: {ratio:.2f}x (median of the pairs)   "
          f"target <= {TARGET_RATIO}x: {verdict}")
    print(f"  the same in CPU time (user + system), steadier on a busy machine: {cpu_ratio:.2f}x")
    print(f"  settled (every pending message handled: live numbers, checks, estimate): TUI {settled * 1000:.0f} ms, "
          f"minimal app {minimal_settled * 1000:.0f} ms, {settled_ratio:.2f}x")
    print(f"  a bare Textual app with the editor's layout, no tunedeck code, first frame: {layout * 1000:.0f} ms, "
          f"{layout_ratio:.2f}x the minimal app (what Textual alone needs for this screen)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
