"""``tunedeck explain [KNOB] [--section NAME] [--basic]``: what a knob does, what it costs, what is typical."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain a knob: what it does, what it costs, typical values (no knob: list them all)",
        description="With no KNOB, list every knob by section. With a KNOB (a key such as micro_batch_size, an "
        "alias, or a dataset key such as datasets[].type), show what it does, what changing it costs, typical "
        "values and the knobs it interacts with.",
    )
    parser.add_argument("knob", nargs="?", metavar="KNOB", help="the knob to explain")
    parser.add_argument("--section", metavar="NAME",
                        help="list only this section (model, datasets, sequence, schedule, adapter, evaluation, "
                        "tracking, environment)")
    parser.add_argument("--basic", action="store_true", help="list only the basic knobs a newcomer sets")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.explain import find_knob, find_section, render_knob, render_list

    console = Console(highlight=False)
    if args.knob:
        console.print(render_knob(find_knob(args.knob)))
        return 0
    section = find_section(args.section) if args.section else None
    console.print(render_list(section, basic_only=args.basic))
    return 0
