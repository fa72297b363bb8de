"""``tunedeck preview PRESET``: examples as the model sees them, learned tokens highlighted, plus totals."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("preview", help="show tokenized examples: learned text in green, masked text dim")
    p.add_argument("preset", metavar="PRESET", help="the preset YAML file")
    p.add_argument("-n", type=int, default=3, help="how many examples (default 3)")
    p.add_argument("--dataset", type=int, default=None, metavar="I", help="only examples of datasets[I]")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a knob, e.g. --set datasets.0.train_on_eos=all (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object (for the terminal app)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="allow a preset with trust_remote_code: true to run the model repository's code")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import TunedeckError

    try:
        from engine.data.preview_data import preview
        from engine.preset import load_config

        cfg = load_config(args.preset, args.overrides)
        _check_model_source(cfg, args)
        result = preview(cfg, args.preset, n=args.n, dataset=args.dataset)
    except TunedeckError as err:
        if not args.json:
            raise
        _print_json({"error": err.to_json()})
        return err.exit_code
    if args.json:
        _print_json(result.to_json())
    else:
        _print_rich(result)
    return 0


def _check_model_source(cfg, args: argparse.Namespace) -> None:
    """Before the tokenizer loads: a repository's code runs only when asked for here too (a preset someone sent
    is previewed to look at it, not to run it), and offline a Hub id missing from the cache fails at once."""
    from engine.data.errors import DataError
    from engine.hub_cache import require_cached_tokenizer

    names = " and ".join(dict.fromkeys(f"'{m}'" for m in (cfg.base_model, cfg.tokenizer_config) if m))
    if cfg.trust_remote_code and not args.trust_remote_code:
        raise DataError(f"trust_remote_code is on: loading the tokenizer of {names} would run Python code from "
                        "that repository on this machine. Preview runs it only when you say so: add "
                        "--trust-remote-code if you trust that code, or set trust_remote_code: false.",
                        key="trust_remote_code")
    require_cached_tokenizer(cfg, args.preset)
    if cfg.trust_remote_code and not args.json:
        import sys

        print(f"note: trust_remote_code: running the code of {names} (--trust-remote-code given)", file=sys.stderr)


def _print_json(obj: dict) -> None:
    import json
    import sys

    sys.stdout.write(json.dumps(obj) + "\n")


def _print_rich(result) -> None:
    from rich.console import Console
    from rich.text import Text

    from engine.commands.preprocess import print_warnings, summary_line

    console = Console(highlight=False)
    if result.stats.get("preference"):
        _print_pairs(console, result)
        return
    for n, ex in enumerate(result.examples, 1):
        console.rule(f"example {n} · dataset {ex.dataset} · {ex.num_tokens} tokens, {ex.num_trained} learned")
        text = Text()
        for chunk, trained in ex.segments:
            text.append(chunk, style="bold green" if trained else "dim")
        console.print(text)
    console.rule()
    console.print(Text("learned", style="bold green") + Text(" / ") + Text("masked (context only)", style="dim"))
    console.print(summary_line(result.stats))
    print_warnings(console, result.stats)


def _print_pairs(console, result) -> None:
    """Each row: the prompt (context), the chosen answer and the rejected one (KTO: the completion), with counts."""
    from engine.commands.preprocess import print_warnings, summary_line
    from engine.data.pair_text import pair_body, pair_heading, pair_legend

    for n, ex in enumerate(result.examples, 1):
        row = ex.to_json()
        console.rule(f"{pair_heading(n, row)} · dataset {ex.dataset}")
        console.print(pair_body(row), end="")
    console.rule()
    console.print(pair_legend())
    console.print(summary_line(result.stats))
    print_warnings(console, result.stats)
