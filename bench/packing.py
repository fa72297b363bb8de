"""Padding waste with and without sample packing, on realistic variable-length chat data.

Tokenizes synthetic chat rows (lengths ~50-400 tokens) with the bundled tiny tokenizer through
prepare_datasets, then batches them as the trainer would (micro_batch_size samples, padded to the longest in
the batch by DataCollator) and prints the share of real (non-pad) tokens. Target with packing: >= 0.95.

    .venv/bin/python bench/packing.py [--rows 5000] [--sequence-len 1024] [--micro-batch-size 4]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _synthetic import chat_rows

MODEL = Path(__file__).resolve().parent.parent / "presets" / "tiny" / "model"


def real_share(lengths: list[int], batch: int, seed: int = 0) -> float:
    """Real tokens / padded tokens over shuffled batches padded to their longest sample."""
    order = list(range(len(lengths)))
    random.Random(seed).shuffle(order)
    real = padded = 0
    for start in range(0, len(order), batch):
        group = [lengths[i] for i in order[start:start + batch]]
        real += sum(group)
        padded += max(group) * len(group)
    return real / padded


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--sequence-len", type=int, default=1024)
    ap.add_argument("--micro-batch-size", type=int, default=4)
    args = ap.parse_args()

    from engine.data.prepare import prepare_datasets
    from engine.data.tokenizer import prepare_tokenizer
    from engine.knobs.config import Config

    tmp = Path(tempfile.mkdtemp(prefix="tunedeck-bench-"))
    data = tmp / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in chat_rows(args.rows, seed=1)))
    common = dict(base_model=str(MODEL), datasets=[{"path": str(data), "type": "chat_template"}],
                  sequence_len=args.sequence_len, output_dir=str(tmp / "out"))
    tok = prepare_tokenizer(Config(**common))
    plain = prepare_datasets(Config(**common), tok, use_cache=False)
    packed = prepare_datasets(Config(**common, sample_packing=True), tok, use_cache=False)
    plain_lengths = [len(x) for x in plain.train["input_ids"]]
    packed_lengths = [len(x) for x in packed.train["input_ids"]]
    print(f"rows: {len(plain_lengths)}, lengths {min(plain_lengths)}-{max(plain_lengths)} "
          f"(mean {sum(plain_lengths) / len(plain_lengths):.0f}), sequence_len {args.sequence_len}, "
          f"micro_batch_size {args.micro_batch_size}")
    print(f"without packing: real-token share per batch {real_share(plain_lengths, args.micro_batch_size):.3f} "
          f"({len(plain_lengths)} samples)")
    print(f"with packing:    real-token share per batch {real_share(packed_lengths, args.micro_batch_size):.3f} "
          f"({len(packed_lengths)} samples; packing_efficiency vs sequence_len "
          f"{packed.stats['packing_efficiency']:.3f})")


if __name__ == "__main__":
    main()
