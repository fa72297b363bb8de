"""``tunedeck merge RUN_OR_OUTPUT_DIR [--out DIR]``: merge a LoRA adapter into the base model's weights."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "merge", help="merge a trained LoRA adapter into its base model (a standalone model folder)",
        description="Merge a LoRA/QLoRA adapter into the base weights (reloaded unquantized), so the result loads "
        "with plain transformers. SOURCE is a run id, a run folder, an output_dir or an adapter folder.",
    )
    parser.add_argument("source", metavar="SOURCE", help="run id, run folder, output_dir or adapter folder")
    parser.add_argument("--out", metavar="DIR", help="where to write the merged model (default: <adapter>/merged)")
    parser.add_argument("--dtype", default="float32", choices=("auto", "float32", "bfloat16", "float16"),
                        help="precision of the merged weights (default float32; auto: bf16 on a GPU that has it)")
    parser.add_argument("--trust-remote-code", action="store_true", default=None,
                        help="allow the base model's own code (default: as the run's preset says)")
    parser.set_defaults(func=run)


def _source_path(source: str) -> str:
    if Path(source).expanduser().exists():
        return source
    try:
        from engine.runs.control import resolve_run
    except ImportError:
        return source
    return str(resolve_run(source))


def run(args: argparse.Namespace) -> int:
    from engine.train.merge import merge_adapter

    out = merge_adapter(_source_path(args.source), args.out, dtype=args.dtype,
                        trust_remote_code=args.trust_remote_code)
    print(f"merged model written to {out}")
    return 0
