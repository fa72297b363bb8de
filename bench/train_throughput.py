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

``--mode dpo``: preference tuning instead. tunedeck runs ``rl: dpo`` (a full fine-tune, so both sides keep a frozen
reference copy) on the bundled pairs (``presets/tiny/pairs.jsonl``, repeated to --rows) as chat_template.default;
the baseline is a plain trl ``DPOTrainer`` script on the same pairs in trl's conversational form, which applies the
same ChatML template and tokenizes them itself. trl's DPOTrainer logs no token count, so each side's figure is
(optimizer steps between step 5 and the last) × micro batch × its own mean tokens per pair (both sequences: prompt
twice, chosen, rejected) / time; tunedeck's mean is its events' num_tokens over the pairs it trained, the
baseline's is read from trl's tokenized dataset.
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


DPO_BASELINE = r'''
import json, sys, time
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import DPOConfig, DPOTrainer

model_dir, data_path, out_dir, times_path, epochs, seq, micro, lr, seed = sys.argv[1:10]
tok = AutoTokenizer.from_pretrained(model_dir)
rows = [json.loads(line) for line in open(data_path)]
data = Dataset.from_list([{"prompt": r["messages"], "chosen": [{"role": "assistant", "content": r["chosen"]}],
                           "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in rows])
marks = []

class Clock(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kw):
        if logs and "loss" in logs:
            marks.append((state.global_step, time.time()))

args = DPOConfig(output_dir=out_dir, num_train_epochs=float(epochs), per_device_train_batch_size=int(micro),
                 learning_rate=float(lr), lr_scheduler_type="constant", optim="adamw_torch", seed=int(seed),
                 logging_steps=1, save_strategy="no", report_to="none", bf16=False, gradient_checkpointing=False,
                 max_length=None, beta=0.1, dataloader_pin_memory=False)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32", attn_implementation="sdpa")
trainer = DPOTrainer(model=model, args=args, train_dataset=data, processing_class=tok, callbacks=[Clock()])
ds = trainer.train_dataset
per_pair = sum(2 * len(p) + len(c) + len(r) for p, c, r in zip(ds["prompt_ids"], ds["chosen_ids"],
                                                                ds["rejected_ids"])) / len(ds)
trainer.train()
json.dump({"marks": marks, "tokens_per_pair": per_pair}, open(times_path, "w"))
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


def write_pairs(root: Path, rows: int) -> Path:
    """The bundled preference pairs, repeated to ``rows``: {"messages": [system, user], "chosen", "rejected"}."""
    pairs = (REPO / "presets/tiny/pairs.jsonl").read_text().splitlines()
    path = root / "pairs.jsonl"
    path.write_text("".join(pairs[i % len(pairs)] + "\n" for i in range(rows)))
    return path


def step_rate(marks: list[tuple[int, float]], tokens_per_pair: float) -> float:
    """tokens/s between the log at step SKIP_STEPS and the last one, from steps × micro batch × tokens per pair."""
    marks = sorted(marks)
    first = next(m for m in marks if m[0] >= SKIP_STEPS)
    last = marks[-1]
    return (last[0] - first[0]) * SETTINGS["micro_batch_size"] * tokens_per_pair / (last[1] - first[1])


def rate(marks: list[tuple[int, float, float]]) -> float:
    """tokens/s between the log at step SKIP_STEPS and the last one."""
    marks = sorted(marks)
    first = next(m for m in marks if m[0] >= SKIP_STEPS)
    last = marks[-1]
    return (last[2] - first[2]) / (last[1] - first[1])


def run_tunedeck(root: Path, model: Path, data: Path, epochs: float, n: int, dpo: bool = False) -> float:
    import yaml

    run_dir = root / f"run-{n}"
    run_dir.mkdir()
    dataset = {"path": str(data), "type": "chat_template.default" if dpo else "completion"}
    preset = dict(base_model=str(model), datasets=[dataset], num_epochs=epochs, output_dir=str(root / f"out-{n}"),
                  save_strategy="no", logging_steps=1, dataset_prepared_path=str(root / "prepared"), **SETTINGS)
    if dpo:
        preset.update(rl="dpo", rl_beta=0.1, chat_template="tokenizer_default")
    (run_dir / "preset.yaml").write_text(yaml.safe_dump(preset))
    with open(run_dir / "train.log", "wb") as log:
        rc = subprocess.call([sys.executable, "-m", "engine.train", str(run_dir)], cwd=REPO, stdout=log,
                             stderr=subprocess.STDOUT)
    if rc:
        sys.exit(f"tunedeck run failed (rc {rc}); see {run_dir / 'train.log'}")
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    steps = [e for e in events if e["event"] == "step"]
    if dpo:
        start = next(e for e in events if e["event"] == "start")
        pairs = min(start["train_rows"] * epochs, steps[-1]["step"] * SETTINGS["micro_batch_size"])
        return step_rate([(e["step"], e["time"]) for e in steps], steps[-1]["num_tokens"] / pairs)
    return rate([(e["step"], e["time"], e["num_tokens"]) for e in steps])


def run_baseline(root: Path, model: Path, data: Path, epochs: float, n: int, dpo: bool = False) -> float:
    script = root / ("dpo_baseline.py" if dpo else "baseline.py")
    script.write_text(DPO_BASELINE if dpo else BASELINE)
    times = root / f"baseline-{n}.json"
    s = SETTINGS
    rc = subprocess.call([sys.executable, str(script), str(model), str(data), str(root / f"base-out-{n}"),
                          str(times), str(epochs), str(s["sequence_len"]), str(s["micro_batch_size"]),
                          str(s["learning_rate"]), str(s["seed"])], cwd=root, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if rc:
        sys.exit(f"baseline trl script failed (rc {rc}): run {script} by hand to see why")
    if dpo:
        found = json.loads(times.read_text())
        return step_rate([tuple(m) for m in found["marks"]], found["tokens_per_pair"])
    return rate([tuple(m) for m in json.loads(times.read_text())])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", choices=("sft", "dpo"), default="sft",
                        help="sft: against trl's SFTTrainer; dpo: rl: dpo against trl's DPOTrainer")
    opts = parser.parse_args()
    dpo = opts.mode == "dpo"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-") as tmp:
        root = Path(tmp)
        model = build_model(root)
        data = write_pairs(root, opts.rows) if dpo else write_data(root, opts.rows)
        ours, theirs = [], []
        for n in range(opts.repeats):
            t = time.time()
            ours.append(run_tunedeck(root, model, data, opts.epochs, n, dpo))
            theirs.append(run_baseline(root, model, data, opts.epochs, n, dpo))
            print(f"round {n + 1}: tunedeck {ours[-1]:,.0f} tok/s, plain trl {theirs[-1]:,.0f} tok/s "
                  f"({time.time() - t:.0f} s)", flush=True)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = statistics.median(x / y for x, y in zip(ours, theirs, strict=False))  # rounds pair runs made close in time
    print(f"tunedeck (python -m engine.train): {a:,.0f} tokens/s (median)")
    baseline = "plain trl DPOTrainer script:" if dpo else "plain trl SFTTrainer script:"
    print(f"{baseline:<34}{b:,.0f} tokens/s (median)")
    verdict = "OK" if ratio >= TARGET else "BELOW TARGET"
    print(f"ratio (median of rounds): {ratio:.3f} (target >= {TARGET}) -> {verdict}")


if __name__ == "__main__":
    main()
