"""``tunedeck train PRESET``: validate, launch detached, then follow it here until it ends (or Ctrl-C detaches)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="validate a preset and start training (runs on when you close the terminal)",
        description="Validate PRESET, start `accelerate launch … -m engine.train RUN` in its own session and show "
        "its progress. Ctrl-C detaches and leaves the run going (unless --stop-on-interrupt).",
    )
    p.add_argument("preset", metavar="PRESET", help="the preset YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a knob for this run, e.g. --set learning_rate=1e-4 (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the command and resolved preset; start nothing")
    p.add_argument("--detach", action="store_true", help="start the run and return at once")
    p.add_argument("--stop-on-interrupt", action="store_true", help="Ctrl-C stops the run instead of detaching")
    p.add_argument("--run-id", help="name the run folder (default: <time>-<preset name>)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from engine.runs import launch as launcher

    console = Console(highlight=False)
    for warning in launcher.preset_warnings(args.preset, args.overrides):
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if args.dry_run:
        cmd, preset_yaml = launcher.dry_run(args.preset, args.overrides)
        console.print("[bold]command[/]")
        console.print(escape(launcher.format_command(cmd)), soft_wrap=True)
        console.print("[bold]resolved preset[/]")
        console.print(escape(preset_yaml), soft_wrap=True, end="")
        return 0
    handle = launcher.launch(args.preset, args.overrides, run_id=args.run_id)
    console.print(f"[bold]run[/] {escape(handle.run_id)}  [dim]{escape(str(handle.run_dir))}[/]")
    console.print(f"[bold]command[/] {escape(handle.command)}", soft_wrap=True)
    if args.detach:
        console.print(_hints(handle.run_id))
        return 0
    return follow(handle.run_dir, handle.run_id, console, stop_on_interrupt=args.stop_on_interrupt)


def follow(run_dir: Path, run_id: str, console: Console, *, stop_on_interrupt: bool = False,
           backlog_lines: int | None = None) -> int:
    """Follow until the end; Ctrl-C detaches (or stops). Shared with ``attach``."""
    from engine.runs.control import stop_run
    from engine.runs.reporter import follow_run

    try:
        return follow_run(run_dir, console=console, backlog_lines=backlog_lines)
    except KeyboardInterrupt:
        if stop_on_interrupt:
            console.print("stopping the run (saving a checkpoint)…")
            status = stop_run(run_dir)
            console.print(f"run {run_id}: {status}")
            return 130
        console.print(f"\ndetached: the run is still running. {_hints(run_id)}")
        return 130


def _hints(run_id: str) -> str:
    return f"Follow it with `tunedeck attach {run_id}`, stop it with `tunedeck stop {run_id}`."
