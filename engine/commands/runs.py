"""``tunedeck runs``: every launched run with its real status (checked against the processes)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("runs", help="list runs: id, status, step, loss, started, preset")
    p.add_argument("--scan", metavar="DIR", help="also list run folders found under DIR (e.g. an output_dir)")
    p.add_argument("--json", action="store_true", help="print one JSON list instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import time

    from rich.console import Console
    from rich.table import Table

    from engine.runs.control import list_runs

    runs = list_runs(scan=args.scan)
    console = Console(highlight=False)
    if args.json:
        rows = [{"run_id": r.run_id, "run_dir": str(r.run_dir), "status": r.status, "step": r.step,
                 "total_steps": r.total_steps, "loss": r.loss, "started_at": r.started_at, "preset": r.preset,
                 "message": r.message} for r in runs]
        print(json.dumps(rows, indent=2))
        return 0
    if not runs:
        console.print("No runs yet. Start one with `tunedeck train PRESET`.")
        return 0
    colors = {"running": "cyan", "starting": "cyan", "finished": "green", "stopped": "yellow", "failed": "red"}
    table = Table(box=None, header_style="bold")
    for col in ("id", "status", "step", "loss", "started", "preset"):
        table.add_column(col, no_wrap=col != "preset")
    for r in runs:
        step = f"{r.step if r.step is not None else '-'}/{r.total_steps if r.total_steps else '?'}"
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)) if r.started_at else "-"
        table.add_row(r.run_id, f"[{colors.get(r.status, 'white')}]{r.status}[/]", step,
                      f"{r.loss:.4f}" if r.loss is not None else "-", started, r.preset or "-")
    console.print(table)
    return 0
