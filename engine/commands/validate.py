"""``tunedeck validate PRESET… [--set key=value]… [--anywhere]``: every problem as file:line: key: message; exit 2 if
any error. Besides the preset itself, it checks that this machine can run it (local files, GPU-only settings)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="check presets: typos, types, ranges and combinations, with file:line for each",
        description="Check one or more presets without running anything. Every problem is printed as "
        "file:line: key: message (errors in red, warnings in yellow); Axolotl keys tunedeck keeps but does not "
        "use are listed. It also checks that this machine can run the preset: local dataset paths must exist, "
        "and what the engine refuses without a GPU is an error here. Exit status 0 when every preset is valid, "
        "2 otherwise.",
    )
    parser.add_argument("presets", nargs="+", metavar="PRESET", help="preset YAML file(s)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a knob before checking (repeatable), e.g. --set micro_batch_size=4")
    parser.add_argument("--anywhere", action="store_true",
                        help="check the preset alone, not whether this machine can run it (files, GPU)")
    parser.set_defaults(func=run)


_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from engine.errors import TunedeckError
    from engine.preset import apply_override, format_problem, load_preset
    from engine.preset.on_this_machine import problems_here

    console = Console(highlight=False, soft_wrap=True)
    all_ok = True
    for path in args.presets:
        try:
            preset = load_preset(path)
            for override in args.overrides:
                apply_override(preset, override)
        except TunedeckError as err:
            all_ok = False
            console.print(Text(str(err), style="red"))
            console.print(Text(f"{path}: not checked", style="bold red"))
            continue
        kept = preset.kept_keys
        shown = [p for p in preset.problems if not (p.key in kept and p.severity == "warning")]
        if not args.anywhere:
            shown += problems_here(preset)
        shown.sort(key=lambda p: p.line if p.line is not None else 10**9)  # in file order
        for problem in shown:
            console.print(Text(format_problem(problem), style=_STYLE.get(problem.severity, "")))
        if kept:
            console.print(Text(f"{path}: kept but not used by tunedeck: {', '.join(kept)}", style="dim"))
        errors = sum(p.severity == "error" for p in shown)
        warnings = sum(p.severity == "warning" for p in shown)
        all_ok &= errors == 0
        console.print(_summary(path, errors, warnings))
    return 0 if all_ok else 2


def _summary(path: str, errors: int, warnings: int):
    from rich.text import Text

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' if count != 1 else ''}"

    if errors:
        return Text(f"{path}: invalid — {n(errors, 'error')}, {n(warnings, 'warning')}", style="bold red")
    return Text(f"{path}: valid" + (f" ({n(warnings, 'warning')})" if warnings else ""), style="bold green")
