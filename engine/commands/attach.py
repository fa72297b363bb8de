"""``tunedeck attach RUN``: follow a run's progress; Ctrl-C detaches and leaves it running."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("attach", help="follow a run's progress (Ctrl-C detaches; the run continues)")
    p.add_argument("run", metavar="RUN", help="a run id (or its start), a run folder, or 'last'")
    p.add_argument("--lines", type=int, default=20, help="how many earlier log lines to show first (default 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.commands.train import follow
    from engine.runs.control import resolve_run

    run_dir = resolve_run(args.run)
    console = Console(highlight=False)
    console.print(f"[bold]attached to[/] {run_dir.name}  [dim]{run_dir}[/]")
    return follow(run_dir, run_dir.name, console, backlog_lines=max(args.lines, 0))
