"""``tunedeck stop RUN``: ask the run to save a checkpoint and stop; force it if it does not."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("stop", help="stop a run (checkpoint first; SIGTERM, then SIGKILL if it hangs)")
    p.add_argument("run", metavar="RUN", help="a run id (or its start), a run folder, or 'last'")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds before SIGKILL (SIGTERM at half of it); default 120")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.errors import TunedeckError
    from engine.runs.control import FINAL_STATUSES, UNREADABLE, resolve_run, run_info, run_status, stop_run

    run_dir = resolve_run(args.run)
    console = Console(highlight=False)
    before = run_status(run_dir)
    if before == UNREADABLE:  # its processes are named in the damaged state.json: nothing to signal
        raise TunedeckError(str(run_info(run_dir).message))
    if before in FINAL_STATUSES:
        console.print(f"{run_dir.name} already ended: {before}")
        return 0
    console.print(f"stopping {run_dir.name} (the trainer saves a checkpoint first)…")
    status = stop_run(run_dir, timeout=args.timeout)
    info = run_info(run_dir)
    detail = f" — {info.message}" if info.message else ""
    console.print(f"{run_dir.name}: {status}{detail}")
    return 0 if status in FINAL_STATUSES else 1
