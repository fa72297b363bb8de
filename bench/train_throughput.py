"""Training throughput: tokens/s of a real tunedeck run against a plain trl ``SFTTrainer`` script, same model, same
data, same settings, measured the same way in one run. Target: tunedeck ≥ 0.95 × plain trl.

    python bench/train_throughput.py [--rows 480] [--epochs 1] [--repeats 3]

tunedeck runs through its real path (``python -m engine.train RUN_DIR``, what ``tunedeck train`` launches) and
its figure comes from the run's step events. The baseline is a short trl script that tokenizes the same text the
same way (tokens + EOS, every token trained) and records trl's token count at each log. Both figures are
(tokens at the last step − tokens at step 5) / (time between those logs): start-up and the first steps' warm-up
are left out. Each side runs ``--repeats`` times, alternating; the ratio is the median of the rounds' ratios. On a
machine whose cores other work shares, single rounds swing by 2× or more either way: read the per-round lines,
not one figure.
The model: a random Llama, hidden 256, 4 layers, built locally (nothing downloaded).

Both sides run the same trl ``SFTTrainer`` underneath (tunedeck adds engine.data's pre-tokenized rows, its collator
and its callbacks), so the expected ratio is about 1.0; the bench guards against the callbacks or the data path
costing time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET = 0.95
SKIP_STEPS = 5
SETTINGS = dict(sequence_len=128, micro_batch_size=8, gradient_accumulation_steps=1, learning_rate=1e-3,
                lr_scheduler="constant", optimizer="adamw_torch", seed=42)

BASELINE = r'''
import json, sys, time
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import SFTConfig, SFTTrainer

model_dir, data_path, out_dir, times_path, epochs, seq, micro, lr, seed = sys.argv[1:10]
tok = AutoTokenizer.from_pretrained(model_dir)
texts = [json.loads(line)["text"] for line in open(data_path)]
ids = [(tok(t)["input_ids"] + [tok.eos_token_id])[: int(seq)] for t in texts]
marks = []

class Clock(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kw):
        if logs and "loss" in logs:
            marks.append((state.global_step, time.time(), float(logs["num_tokens"])))

args = SFTConfig(output_dir=out_dir, num_train_epochs=float(epochs), per_device_train_batch_size=int(micro),
                 learning_rate=float(lr), lr_scheduler_type="constant", optim="adamw_torch", seed=int(seed),
                 logging_steps=1, save_strategy="no", report_to="none", bf16=False, gradient_checkpointing=False,
                 max_length=int(seq), dataloader_pin_memory=False)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32", attn_implementation="sdpa")
trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_dict({"input_ids": ids}),
                     processing_class=tok, callbacks=[Clock()])
trainer.train()
json.dump(marks, open(times_path, "w"))
'''


def build_model(root: Path) -> Path:
    from engine.tiny_model import build_tiny_model

    texts = [json.loads(line)["text"] for line in (REPO / "presets/tiny/facts.jsonl").read_text().splitlines()]
    return build_tiny_model(root / "model", texts * 4, vocab_size=512, hidden_size=256, num_layers=4,
                            num_heads=8, num_kv_heads=4)


def write_data(root: Path, rows: int) -> Path:
    facts = (REPO / "presets/tiny/facts.jsonl").read_text().splitlines()
    lines = [json.loads(facts[i % len(facts)]) for i in range(rows)]
    for i, row in enumerate(lines):  # vary the lengths a little, as real data does
        row["text"] = " ".join([row["text"]] * (1 + i % 3))
    path = root / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def rate(marks: list[tuple[int, float, float]]) -> float:
    """tokens/s between the log at step SKIP_STEPS and the last one."""
    marks = sorted(marks)
    first = next(m for m in marks if m[0] >= SKIP_STEPS)
    last = marks[-1]
    return (last[2] - first[2]) / (last[1] - first[1])


def run_tunedeck(root: Path, model: Path, data: Path, epochs: float, n: int) -> float:
    import yaml

    run_dir = root / f"run-{n}"
    run_dir.mkdir()
    preset = dict(base_model=str(model), datasets=[{"path": str(data), "type": "completion"}],
                  num_epochs=epochs, output_dir=str(root / f"out-{n}"), save_strategy="no", logging_steps=1,
                  dataset_prepared_path=str(root / "prepared"), **SETTINGS)
    (run_dir / "preset.yaml").write_text(yaml.safe_dump(preset))
    with open(run_dir / "train.log", "wb") as log:
        rc = subprocess.call([sys.executable, "-m", "engine.train", str(run_dir)], cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT)
    if rc:
        sys.exit(f"tunedeck run failed (rc {rc}); see {run_dir / 'train.log'}")
    steps = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    return rate([(e["step"], e["time"], e["num_tokens"]) for e in steps if e["event"] == "step"])


def run_baseline(root: Path, model: Path, data: Path, epochs: float, n: int) -> float:
    script = root / "baseline.py"
    script.write_text(BASELINE)
    times = root / f"baseline-{n}.json"
    s = SETTINGS
    rc = subprocess.call([sys.executable, str(script), str(model), str(data), str(root / f"base-out-{n}"),
                          str(times), str(epochs), str(s["sequence_len"]), str(s["micro_batch_size"]),
                          str(s["learning_rate"]), str(s["seed"])], cwd=root, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if rc:
        sys.exit(f"baseline trl script failed (rc {rc}): run {script} by hand to see why")
    return rate([tuple(m) for m in json.loads(times.read_text())])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    opts = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-") as tmp:
        root = Path(tmp)
        model, data = build_model(root), write_data(root, opts.rows)
        ours, theirs = [], []
        for n in range(opts.repeats):
            t = time.time()
            ours.append(run_tunedeck(root, model, data, opts.epochs, n))
            theirs.append(run_baseline(root, model, data, opts.epochs, n))
            print(f"round {n + 1}: tunedeck {ours[-1]:,.0f} tok/s, plain trl {theirs[-1]:,.0f} tok/s "
                  f"({time.time() - t:.0f} s)", flush=True)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = statistics.median(x / y for x, y in zip(ours, theirs, strict=False))  # rounds pair runs made close in time
    print(f"tunedeck (python -m engine.train): {a:,.0f} tokens/s (median)")
    print(f"plain trl SFTTrainer script:      {b:,.0f} tokens/s (median)")
    verdict = "OK" if ratio >= TARGET else "BELOW TARGET"
    print(f"ratio (median of rounds): {ratio:.3f} (target >= {TARGET}) -> {verdict}")


if __name__ == "__main__":
    main()
