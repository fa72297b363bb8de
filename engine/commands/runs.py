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
    from rich.markup import escape
    from rich.table import Table

    from engine.runs.control import UNREADABLE, list_runs

    runs = list_runs(scan=args.scan)
    console = Console(highlight=False)
    if not console.is_terminal:  # a pipe or a file: full rows, whatever the width
        console = Console(highlight=False, width=250)
    if args.json:
        records = [{"run_id": r.run_id, "run_dir": str(r.run_dir), "status": r.status, "step": r.step,
                 "total_steps": r.total_steps, "loss": r.loss, "started_at": r.started_at, "preset": r.preset,
                 "message": r.message, "resumed_from_step": r.resumed_from_step} for r in runs]
        print(json.dumps(records, indent=2))
        return 0
    if not runs:
        console.print("No runs yet. Start one with `tunedeck train PRESET`.")
        return 0
    colors = {"running": "cyan", "starting": "cyan", "finished": "green", "stopped": "yellow", "failed": "red",
              UNREADABLE: "bold red"}
    rows: list[tuple[str, ...]] = []
    for r in runs:
        if r.status == UNREADABLE:  # its folder in the preset column; what is wrong below the table
            rows.append((r.run_id, r.status, "-", "-", "-", str(r.run_dir)))
            continue
        step = f"{r.step if r.step is not None else '-'}/{r.total_steps if r.total_steps else '?'}"
        if r.resumed_from_step:
            step += f" (from {r.resumed_from_step})"
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)) if r.started_at else "-"
        rows.append((r.run_id, r.status, step, f"{r.loss:.4f}" if r.loss is not None else "-", started,
                     _short(r.preset)))
    table = Table(box=None, header_style="bold")
    for n, col in enumerate(("id", "status", "step", "loss", "started", "preset")):
        if col == "preset":  # the one column that wraps on a narrow terminal; the others keep their width
            table.add_column(col, overflow="fold")
        else:
            table.add_column(col, no_wrap=True, min_width=max(len(col), *(len(row[n]) for row in rows)))
    for row in rows:
        table.add_row(row[0], f"[{colors.get(row[1], 'white')}]{row[1]}[/]", *row[2:])
    console.print(table)
    for r in runs:
        if r.status == UNREADABLE:
            console.print(f"[bold red]unreadable[/] {escape(r.message or str(r.run_dir))}")
    return 0


def _short(path: str | None) -> str:
    """A preset path as short as it can be while still findable: relative to here, else with ~ for home."""
    import os

    if not path:
        return "-"
    rel = os.path.relpath(path)
    if not rel.startswith(".."):
        return rel
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path
