"""``tunedeck generate RUN|MODEL --prompts FILE.jsonl --out OUT.jsonl [--base]``: answer a file of prompts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.errors import TunedeckError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate", help="answer a JSONL file of prompts with a trained model (or its base)",
        description="Answer each line of PROMPTS ({\"prompt\": ...} or {\"messages\": [...]}) with the model, rendered "
        "through the chat template the run trained with, in batches, on the GPU when there is one. OUT gets one line "
        "per prompt, in order: the prompt, the answer and the generation settings (the run's inference_* knobs).",
    )
    parser.add_argument("source", metavar="RUN|MODEL",
                        help="run id, 'last', run folder, checkpoint-N, model or adapter folder")
    parser.add_argument("--prompts", required=True, metavar="FILE.jsonl", help="one prompt per line")
    parser.add_argument("--out", required=True, metavar="OUT.jsonl", help="where the answers go (not overwritten)")
    parser.add_argument("--base", action="store_true", help="answer with the base model (the adapter switched off)")
    parser.add_argument("--batch-size", type=int, default=8, metavar="N", help="prompts per batch (default 8)")
    parser.add_argument("--max-new-tokens", type=int, metavar="N", help="override inference_max_new_tokens")
    parser.add_argument("--trust-remote-code", action="store_true", default=None,
                        help="allow the model's own code (default: as the run's preset says; never for a bare model)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.infer.prompts import read_prompts
    from engine.infer.source import resolve_source

    out = Path(args.out)
    if out.exists():
        raise TunedeckError(f"{out} already exists: tunedeck does not overwrite it. Give another --out, or remove it.")
    if args.batch_size < 1:
        raise TunedeckError(f"--batch-size {args.batch_size}: give 1 or more.")
    prompts = read_prompts(args.prompts)  # before loading anything: a bad file fails at once
    source = resolve_source(args.source)
    from engine.infer.settings import settings_for

    settings = settings_for(source.preset).with_overrides(max_new_tokens=args.max_new_tokens)
    from rich.console import Console
    from rich.progress import Progress

    from engine.infer.answer import answer_batch
    from engine.infer.load import load_model

    console = Console(stderr=True, highlight=False)
    console.print(f"answering with {'the base of ' if args.base else ''}{source.note}")
    loaded = load_model(source, compare=args.base, trust_remote_code=args.trust_remote_code)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("generating", total=len(prompts))
        answers = answer_batch(loaded, [p.messages for p in prompts], settings, base=args.base,
                               batch_size=args.batch_size, progress=lambda n: progress.advance(task, n))
    record = settings.as_record()
    lines = [json.dumps({"messages": p.messages, **({"reference": p.reference} if p.reference is not None else {}),
                         "answer": a, "model": "base" if args.base else "tuned", "settings": record},
                        ensure_ascii=False) for p, a in zip(prompts, answers, strict=False)]
    try:
        with open(out, "x", encoding="utf-8") as fh:  # "x": a file that appeared meanwhile is not overwritten either
            fh.write("\n".join(lines) + "\n")
    except FileExistsError:
        raise TunedeckError(f"{out} appeared while generating: tunedeck does not overwrite it.") from None
    console.print(f"{len(lines)} answers written to {out}")
    return 0
