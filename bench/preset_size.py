"""Validation time against preset size: each shape of large preset at 1/8, 1/4, 1/2 and 1 × the size cap.

    python bench/preset_size.py

Times load + every problem (what `tunedeck validate --anywhere` does) in this process, best of 2. Linear means
each row's seconds double with the size; ruamel's pure-Python reader sets the slope (roughly 100-250 KB/s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.preset import load_preset  # noqa: E402
from engine.preset.limits import MAX_PRESET_BYTES  # noqa: E402

HEAD = (f"base_model: {REPO}/presets/tiny/model\ndatasets:\n  - path: {REPO}/presets/tiny/chat.jsonl\n"
        "    type: chat_template\n")
SHAPES: dict[str, Callable[[int], str]] = {
    "comment lines after a value": lambda i: f"  # comment line {i} with some words in it\n",
    "unknown keys": lambda i: f"unknown_key_{i}: {i}\n",
    "list items": lambda i: f"  - module_{i}\n",
    "dataset entries": lambda i: f"  - path: x{i}.jsonl\n    type: completion\n",
}
PREFIX = {"comment lines after a value": "lora_r: 8\n", "unknown keys": "", "list items": "lora_target_modules:\n",
          "dataset entries": "test_datasets:\n"}


def build(shape: str, size: int) -> str:
    parts, total, i = [HEAD, PREFIX[shape]], 0, 0
    while total < size - 200:
        line = SHAPES[shape](i)
        parts.append(line)
        total += len(line)
        i += 1
    return "".join(parts)


def timed(path: Path) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        _ = load_preset(path).problems
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    sizes = [MAX_PRESET_BYTES // 8, MAX_PRESET_BYTES // 4, MAX_PRESET_BYTES // 2, MAX_PRESET_BYTES - 1024]
    print(f"{'shape':30}" + "".join(f"{s // 1024:>9} KB" for s in sizes))
    with tempfile.TemporaryDirectory() as folder:
        for shape in SHAPES:
            row = []
            for size in sizes:
                path = Path(folder) / "big.yaml"
                path.write_text(build(shape, size))
                row.append(timed(path))
            print(f"{shape:30}" + "".join(f"{t:>10.2f}s" for t in row))


if __name__ == "__main__":
    main()
