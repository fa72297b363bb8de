"""The headless ``tunedeck`` subcommands. ``tui.cli`` opens the TUI when no subcommand is given.

Each subcommand lives in ``engine/commands/<name>.py`` with ``register(subparsers)`` that adds its parser and
sets ``func`` to a callable taking the parsed args and returning an exit code. Command modules import only
light things at module level, so ``tunedeck --help`` stays fast; heavy imports go inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine.errors import TunedeckError

COMMANDS = (
    "validate", "explain", "new", "train", "preprocess", "preview", "estimate", "runs", "attach", "stop", "merge",
    "generate", "chat", "import",
)
# Commands whose module has another name ("import" is a Python keyword).
MODULES = {"import": "import_config"}


def build_parser(prog: str = "tunedeck") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Set up, understand and launch LLM fine-tuning runs. "
        "With no command (or just a PRESET path) it opens the terminal app.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"engine.commands.{MODULES.get(name, name)}")
        except ModuleNotFoundError as err:  # a command not written yet
            if err.name != f"engine.commands.{MODULES.get(name, name)}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except TunedeckError as err:
        from rich.console import Console
        from rich.text import Text

        # Plain text (a message may hold [brackets]), one unbroken line: paths and file:line stay whole for a
        # copy, a grep or a test, whatever the terminal's width.
        message = Text.assemble(("error:", "bold red"), " ", str(err))
        Console(stderr=True, highlight=False).print(message, soft_wrap=True)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
