"""``tunedeck train PRESET``: validate, launch detached, then follow it here until it ends (or Ctrl-C detaches)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from engine.runs.output_dir import StartRequest


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="validate a preset and start training (runs on when you close the terminal)",
        description="Validate PRESET, start `accelerate launch … -m engine.train RUN` in its own session and show "
        "its progress. Ctrl-C detaches and leaves the run going (unless --stop-on-interrupt). When output_dir holds "
        "checkpoints of this preset (a stopped or failed run), training resumes from the newest complete one; a "
        "finished model, another preset's checkpoints or a live run there are never overwritten without asking.",
    )
    p.add_argument("preset", metavar="PRESET", help="the preset YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a knob for this run, e.g. --set learning_rate=1e-4 (repeatable)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the command, resolved preset, step count, what it resumes and what it overwrites; "
                   "start nothing")
    p.add_argument("--fresh", action="store_true",
                   help="start over from step 0 in a new folder (<output_dir>-2, -3 …); the old one is left as it is")
    p.add_argument("--overwrite", action="store_true",
                   help="train in output_dir even though it holds a finished model (or another preset's checkpoints)")
    p.add_argument("--detach", action="store_true", help="start the run and return at once")
    p.add_argument("--stop-on-interrupt", action="store_true", help="Ctrl-C stops the run instead of detaching")
    p.add_argument("--run-id", help="name the run folder (default: <time>-<preset name>)")
    p.add_argument("--sbatch", action="store_true",
                   help="print a SLURM batch script that runs the preset on num_nodes nodes (e.g. > job.sh); "
                   "start nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from engine.runs import launch as launcher

    if args.sbatch:
        return print_sbatch(args)
    console = Console(highlight=False)
    for warning in launcher.preset_warnings(args.preset, args.overrides):
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    start = launcher.StartRequest(fresh=args.fresh, overwrite=args.overwrite)
    if args.dry_run:
        cmd, preset_yaml = launcher.dry_run(args.preset, args.overrides, start)
        console.print("[bold]command[/]")
        console.print(escape(launcher.format_command(cmd)), soft_wrap=True)
        console.print("[bold]resolved preset[/]")
        console.print(escape(preset_yaml), soft_wrap=True, end="")
        print_start_plan(args, start, console)
        print_machines(args, console)
        return 0
    handle = launcher.launch(args.preset, args.overrides, run_id=args.run_id, start=start)
    for line in handle.plan.lines() if handle.plan else []:
        if not line.startswith("overwrites nothing"):
            console.print(escape(line), soft_wrap=True)
    console.print(f"[bold]run[/] {escape(handle.run_id)}  [dim]{escape(str(handle.run_dir))}[/]")
    console.print(f"[bold]command[/] {escape(handle.command)}", soft_wrap=True)
    if args.detach:
        console.print(_hints(handle.run_id))
        return 0
    return follow(handle.run_dir, handle.run_id, console, stop_on_interrupt=args.stop_on_interrupt)


def print_machines(args: argparse.Namespace, console: Console) -> None:
    """--dry-run of a multi-node preset: what to start on each machine, and a SLURM batch script doing it."""
    from rich.markup import escape

    from engine.preset import load_config
    from engine.runs.launch import format_command, new_run_id, output_dir_of
    from engine.runs.multinode import machine_commands, sbatch_script

    cfg = load_config(args.preset, args.overrides)
    if cfg.num_nodes < 2:
        return
    console.print(f"[bold]each machine[/] (start all {cfg.num_nodes}; they meet at machine 0, "
                  f"{escape(str(cfg.main_process_ip))}:{cfg.main_process_port})")
    run_dir = output_dir_of(cfg) / "runs" / new_run_id(args.preset)
    for machine in machine_commands(cfg, args.preset, args.overrides, run_dir):
        console.print(f"machine {machine.rank}: {escape(format_command(machine.train))}", soft_wrap=True)
        console.print(f"  which starts: {escape(format_command(machine.launch))}", soft_wrap=True)
    console.print("[bold]SLURM batch script[/] (`tunedeck train PRESET --sbatch > job.sh`, then `sbatch job.sh`)")
    console.print(escape(sbatch_script(cfg, args.preset, args.overrides)), soft_wrap=True, end="")


def print_sbatch(args: argparse.Namespace) -> int:
    """--sbatch: the script alone on stdout, ready to redirect to a file; warnings go to stderr."""
    import sys

    from engine.preset import load_config
    from engine.runs.launch import preset_warnings
    from engine.runs.multinode import sbatch_script

    # Each node gets machine_rank and main_process_ip from SLURM: check the preset as machine 0 will see it.
    as_machine_0 = [*args.overrides, "machine_rank=0", "main_process_ip=first-node-of-the-job"]
    for warning in preset_warnings(args.preset, as_machine_0):
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(sbatch_script(load_config(args.preset, as_machine_0), args.preset, args.overrides))
    return 0


def print_start_plan(args: argparse.Namespace, start: StartRequest, console: Console) -> None:
    """--dry-run: step count, output folder, resume point, skipped checkpoints and what would be overwritten."""
    from rich.markup import escape

    from engine.preset import load_config
    from engine.runs.dry_run import dry_run_lines
    from engine.runs.launch import start_plan

    plan = start_plan(args.preset, args.overrides, start)
    console.print("[bold]this launch[/]")
    for line in dry_run_lines(load_config(args.preset, args.overrides), args.preset, plan):
        console.print(escape(line), soft_wrap=True)


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
