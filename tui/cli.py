"""The ``tunedeck`` console command: opens the TUI, or hands a subcommand to the engine's CLI."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from engine.cli import COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        from engine.cli import main as engine_main

        return engine_main(args)
    if len(args) > 1:
        print("usage: tunedeck [PRESET] | tunedeck COMMAND ...  (see tunedeck --help)", file=sys.stderr)
        return 2
    return run_app(args[0] if args else None)


def run_app(preset: str | None) -> int:
    """The TUI, started with the garbage collector paused: start-up makes a few hundred thousand objects that live
    as long as the process (Textual, the knob catalogue, the widgets), and the collector's passes over them cost
    ~20 ms of the first frame. The app freezes them and turns the collector back on after its first frame."""
    gc.disable()
    try:
        from tui.app import run_app as run

        return run(preset)
    finally:
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
