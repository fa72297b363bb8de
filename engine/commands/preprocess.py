"""``tunedeck preprocess PRESET``: tokenize and cache the training data now (and optionally export it)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("preprocess", help="tokenize and cache the datasets (fails early on bad data)")
    p.add_argument("preset", metavar="PRESET", help="the preset YAML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a knob for this run, e.g. --set sequence_len=1024 (repeatable)")
    p.add_argument("--export", metavar="OUT.jsonl",
                   help='write every kept row, unpacked, in source order: {"input_ids": [...], "labels": [...]} '
                        "(-100 = not learned)")
    p.add_argument("--no-cache", action="store_true", help="rebuild even when a matching cache entry exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from engine.data.prepare import prepare_datasets
    from engine.data.tokenizer import prepare_tokenizer
    from engine.preset import load_config

    cfg = load_config(args.preset, args.overrides)
    tokenizer = prepare_tokenizer(cfg, args.preset)
    prepared = prepare_datasets(cfg, tokenizer, args.preset, use_cache=not args.no_cache)
    console = Console(highlight=False)
    s = prepared.stats
    if prepared.cache_dir:
        console.print(f"{'cache hit' if prepared.cache_hit else 'prepared'}: {prepared.cache_dir}")
    else:
        console.print("prepared (not cached)")
    console.print(summary_line(s))
    print_warnings(console, s)
    if args.export:
        count = export_jsonl(prepared.rows, args.export)
        console.print(f"exported {count} rows to {args.export}")
    return 0


def summary_line(s: dict) -> str:
    """The data totals in one line: rows kept, every row dropped and why, tokens and trained tokens."""
    if s.get("preference"):
        from engine.commands.preference_export import preference_summary
        return preference_summary(s)
    parts = [f"{s['rows']} rows ({s['train_rows']} train, {s['eval_rows']} eval)",
             (f"dropped: {s['empty_text']} with empty text, {s['too_short']} shorter than min_sample_len "
              f"({s['min_sample_len']} tokens), {s['dropped']} longer than sequence_len, "
              f"{s['no_trained_tokens']} with nothing to learn"),
             f"{s['truncated']} truncated"]
    if s.get("sampled_out"):
        parts.insert(1, f"{s['sampled_out']} left out by sample_rate / num_samples")
    if s["cut_documents"]:
        parts.append(f"{s['cut_documents']} completion documents cut at 64 × sequence_len ({s['cut_tokens']} "
                     "tokens past the cut not used)")
    parts.append(f"{s['tokens']} tokens, {s['trained_tokens']} trained")
    if s.get("sample_packing"):
        parts.append(f"{s['packed_sequences']} packed sequences of {s['sequence_len']}, "
                     f"efficiency {s['packing_efficiency']:.1%}")
    return "; ".join(parts)


def print_warnings(console, s: dict) -> None:
    from rich.text import Text

    for warning in s.get("warnings", []):
        console.print(Text(f"warning: {warning}", style="yellow"))


def export_lines(rows):
    """SFT rows: input_ids and labels; preference rows: their rendered strings and token ids."""
    if "input_ids" not in rows.column_names:
        from engine.commands.preference_export import preference_lines
        yield from preference_lines(rows)
        return
    for ids, labels in zip(rows["input_ids"], rows["labels"], strict=False):
        yield {"input_ids": ids, "labels": labels}


def export_jsonl(rows, path: str) -> int:
    """One JSON line per row, written atomically (engine.atomic: temp file beside it, fsync, rename)."""
    import json
    import os

    from engine.atomic import atomic_open

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    count = 0
    with atomic_open(path) as f:
        for line in export_lines(rows):
            f.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
            count += 1
    return count
