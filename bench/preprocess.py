"""Preprocessing speed: 20,000 synthetic chat rows through prepare_datasets with the bundled tiny tokenizer.

Prints rows/s for the whole pipeline (read JSONL, render, tokenize, label, length filter, build datasets; no
cache), and for a per-turn-render baseline (Axolotl's method: two renders + two tokenizations per trained turn)
on a subset. Target: well above ~3,000 rows/s (Axolotl's rate here with 2 processes).

    .venv/bin/python bench/preprocess.py [--rows 20000] [--baseline-rows 1000] [--num-proc N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _synthetic import chat_rows

MODEL = Path(__file__).resolve().parent.parent / "presets" / "tiny" / "model"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--baseline-rows", type=int, default=1000)
    ap.add_argument("--num-proc", type=int, default=None)
    args = ap.parse_args()

    from engine.data.chat_template import reference_tokenize
    from engine.data.prepare import prepare_datasets
    from engine.data.sources import Rows
    from engine.data.tokenizer import prepare_tokenizer
    from engine.knobs.config import Config

    tmp = Path(tempfile.mkdtemp(prefix="tunedeck-bench-"))
    rows = chat_rows(args.rows)
    data = tmp / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = Config(base_model=str(MODEL), datasets=[{"path": str(data), "type": "chat_template"}],
                 sequence_len=2048, output_dir=str(tmp / "out"))
    tok = prepare_tokenizer(cfg)

    import resource

    def cpu() -> float:  # this process (all threads) + finished worker processes
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    start, cpu0 = time.perf_counter(), cpu()
    prepared = prepare_datasets(cfg, tok, num_proc=args.num_proc, use_cache=False)
    elapsed, cpu_used = time.perf_counter() - start, cpu() - cpu0
    s = prepared.stats
    print(f"rows: {args.rows}  kept: {s['rows']}  tokens: {s['tokens']}  trained: {s['trained_tokens']}  "
          f"mean length: {s['tokens'] / s['rows']:.0f}")
    print(f"tunedeck prepare_datasets: {elapsed:.2f} s = {args.rows / elapsed:,.0f} rows/s, "
          f"{s['tokens'] / elapsed:,.0f} tokens/s (num_proc={args.num_proc or 1}); "
          f"{cpu_used:.1f} CPU-s = {args.rows / cpu_used:,.0f} rows per CPU-second")

    n = min(args.baseline_rows, args.rows)
    sub = Rows(rows=rows[:n], locs=[(str(data), i + 1, i) for i in range(n)])
    start, cpu0 = time.perf_counter(), cpu()
    reference_tokenize(sub, cfg.datasets[0], cfg, tok)
    base, base_cpu = time.perf_counter() - start, cpu() - cpu0
    print(f"per-turn-render baseline (Axolotl's method, tokenize+label only, 1 process, {n} rows): "
          f"{n / base:,.0f} rows/s; {n / base_cpu:,.0f} rows per CPU-second")
    import os

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared cores slow both figures)")


if __name__ == "__main__":
    main()
