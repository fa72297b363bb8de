"""``tunedeck import FILE [-o OUT.yaml] [--force]``: an H2O LLM Studio, SiloGen finetuning or turbo-alignment config
as a tunedeck preset, with the mapping report printed and kept at the top of the preset."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="convert an H2O LLM Studio, SiloGen or turbo-alignment config into a preset",
        description="Detect the config's tool (H2O LLM Studio experiment cfg.yaml; SiloGen finetuning YAML, sft "
        "or dpo; turbo-alignment train JSON, sft, dpo or kto), write a commented preset and print the mapping "
        "report: each source key → the preset key it became (exact), how it was approximated and why, or why "
        "it was not carried over. The report is kept as a comment block at the top of the preset. Nothing is "
        "written when the config cannot be read; an existing OUT is kept unless --force is given.",
    )
    parser.add_argument("source", metavar="FILE", help="the config to import")
    parser.add_argument("-o", "--out", metavar="OUT.yaml",
                        help="the preset to write (default: FILE's name with .tunedeck.yaml, here)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(func=run)


def default_out(source: Path) -> Path:
    return Path(f"{source.stem}.tunedeck.yaml")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from engine.atomic import atomic_write_text
    from engine.errors import TunedeckError
    from engine.importers import import_config
    from engine.preset import Preset, format_problem
    from engine.preset.on_this_machine import problems_here

    source = Path(args.source)
    out = Path(args.out) if args.out else default_out(source)
    if out.is_dir():
        raise TunedeckError(f"{out} is a folder: give the path of the preset file to write, e.g. {out}/preset.yaml.")
    if out.exists() and not args.force:
        raise TunedeckError(f"{out} already exists: choose another name with -o, or add --force to overwrite it.")
    imported = import_config(source)  # raises before anything is written
    console = Console(highlight=False, soft_wrap=True)
    for line in imported.report.lines():
        console.print(Text(line))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write_text(out, imported.text)
    except OSError as err:
        raise TunedeckError(f"{out}: could not write the preset ({err.strerror or err}).") from None
    preset = Preset(imported.text, out)
    here = problems_here(preset)  # the config was written for another machine: its paths, its GPUs
    for problem in sorted([*preset.problems, *here], key=lambda p: p.line if p.line is not None else 10**9):
        console.print(Text(format_problem(problem), style="red" if problem.severity == "error" else "yellow"))
    console.print(Text(_verdict(out, len(preset.errors), sum(p.severity == "error" for p in here)),
                       style="bold green" if preset.ok else "bold yellow"))
    return 0


def _verdict(out: Path, errors: int, errors_here: int) -> str:
    """The last line: is the preset itself valid, and can this machine run it (``validate`` checks both)."""
    opens = f"`tunedeck validate {out}` checks it, `tunedeck {out}` opens it."
    if errors:
        return f"wrote {out} (written with {errors} error(s) listed above to fix); {opens}"
    if errors_here:
        return (f"wrote {out} (valid as a preset, but this machine cannot run it yet: {errors_here} error(s) above, "
                "such as paths from the machine the config was written on; fix them, or run it where they exist: "
                f"`tunedeck validate --anywhere {out}` checks the preset alone); {opens}")
    return f"wrote {out} (valid); {opens}"
