"""What only a GPU can check: QLoRA in bf16 with evaluation (refused on a CPU), LoRA and full fine-tunes in bf16
with each attention implementation this machine has, and DPO with LoRA and QLoRA, through the real
``tunedeck train`` path; each beside ``tunedeck estimate``'s figure for the same preset.

Each configuration trains a ~0.2B Llama-shaped model (random weights, the bundled tokenizer) on the bundled chats
for two epochs and prints: exit status, first and last train loss, the eval losses, tokens/s and, where the trainer
recorded it, the measured peak GPU memory next to the estimate's allocated part (the band's expected value less
the CUDA context, which ``max_memory_allocated`` does not see). Without a CUDA GPU it says so and exits 0.

    python bench/gpu_check.py [--out FOLDER] [--model-dir FOLDER]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BASE = {
    "datasets": [{"path": str(REPO / "presets/tiny/chat.jsonl"), "type": "chat_template",
                  "field_messages": "messages", "roles_to_train": ["assistant"], "train_on_eos": "turn"}],
    "chat_template": "tokenizer_default", "eot_tokens": ["<|im_end|>"],
    "sequence_len": 512, "micro_batch_size": 4, "gradient_accumulation_steps": 1,
    "num_epochs": 2, "learning_rate": 2.0e-4, "optimizer": "adamw_torch", "lr_scheduler": "cosine",
    "warmup_steps": 3, "val_set_size": 0.1, "evals_per_epoch": 2, "saves_per_epoch": 1, "save_total_limit": 1,
    "logging_steps": 2, "seed": 0, "bf16": True,
}
LORA = {"adapter": "lora", "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.0, "lora_target_linear": True}
CONFIGS: dict[str, dict[str, Any]] = {
    "qlora-bf16-eval-sdpa": {**LORA, "adapter": "qlora", "load_in_4bit": True, "gradient_checkpointing": True,
                             "attn_implementation": "sdpa"},
    "lora-bf16-sdpa": {**LORA, "attn_implementation": "sdpa"},
    "lora-bf16-eager": {**LORA, "attn_implementation": "eager"},
    "full-bf16-sdpa": {"learning_rate": 2.0e-5, "attn_implementation": "sdpa", "gradient_checkpointing": True},
}
PAIRS = {"datasets": [{"path": str(REPO / "presets/tiny/pairs.jsonl"), "type": "chat_template.default",
                       "field_messages": "messages", "field_chosen": "chosen", "field_rejected": "rejected"}],
         "rl": "dpo", "rl_beta": 0.1, "learning_rate": 5.0e-5, "val_set_size": 0, "eot_tokens": None}
CONFIGS["dpo-lora-bf16"] = {**LORA, **PAIRS}
CONFIGS["dpo-qlora-bf16"] = {**LORA, **PAIRS, "adapter": "qlora", "load_in_4bit": True, "gradient_checkpointing": True}


def build_model(folder: Path) -> Path:
    from engine.tiny_model import build_tiny_model

    texts = [m["content"] for line in (REPO / "presets/tiny/chat.jsonl").read_text().splitlines()
             for m in json.loads(line)["messages"]]
    return build_tiny_model(folder, texts, vocab_size=400, hidden_size=1024, num_layers=16, num_heads=16,
                            num_kv_heads=4, max_positions=2048)


def run_config(name: str, knobs: dict[str, Any], model: Path, work: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    from engine.runs.folder import read_events

    preset = work / f"{name}.yaml"
    cfg = {"base_model": str(model), **BASE, **knobs, "output_dir": str(work / "out" / name)}
    cfg = {key: value for key, value in cfg.items() if value is not None}
    if "rl" in cfg:
        cfg.pop("evals_per_epoch", None)
    with open(preset, "w", encoding="utf-8") as fh:
        YAML().dump(cfg, fh)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "engine", "train", str(preset), "--run-id", name],
                          capture_output=True, text=True, timeout=420, cwd=REPO)
    wall = time.perf_counter() - started
    run_dir = work / "out" / name / "runs" / name
    events = read_events(run_dir) if run_dir.exists() else []
    steps = [e for e in events if e["event"] == "step" and e.get("loss") is not None]
    evals = [round(e["eval_loss"], 3) for e in events if e["event"] == "eval"]
    peaks = [e.get("peak_memory_allocated_gib") or e.get("max_memory_allocated_gib") for e in events]
    peak = max((p for p in peaks if isinstance(p, (int, float))), default=None)
    final = next((e for e in reversed(events) if e["event"] in ("finished", "error", "stopped")), {})
    estimated = subprocess.run([sys.executable, "-m", "engine", "estimate", str(preset), "--json"],
                               capture_output=True, text=True, timeout=300, cwd=REPO)
    try:
        per_gpu = json.loads(estimated.stdout)["per_gpu"]
        allocated = per_gpu["expected_gib"] - per_gpu["parts"].get("cuda_context", 0.0)
    except (ValueError, KeyError):
        allocated = None
    margins = [e.get("rewards_margin") for e in steps if e.get("rewards_margin") is not None]
    result = {
        "config": name, "rc": proc.returncode, "wall_s": round(wall, 1), "final": final.get("event"),
        "first_loss": steps[0]["loss"] if steps else None, "last_loss": steps[-1]["loss"] if steps else None,
        "eval_losses": evals, "tokens_per_s": steps[-1].get("tokens_per_second") if steps else None,
        "peak_gib": peak, "estimate_allocated_gib": allocated,
        "estimate_error": f"{(allocated - peak) / peak:+.1%}" if allocated and peak else None,
        "first_margin": margins[0] if margins else None, "last_margin": margins[-1] if margins else None,
        "error": final.get("message"),
    }
    if proc.returncode != 0 or final.get("event") != "finished":
        log = run_dir / "train.log"
        result["log_tail"] = (log.read_text(errors="replace")[-3000:] if log.exists() else proc.stderr[-3000:])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write results.json here too")
    parser.add_argument("--model-dir", type=Path, default=None, help="build the model here and keep it")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA GPU here: nothing to check (run this on a GPU machine)")
        return 0
    print(f"GPU: {torch.cuda.get_device_name(0)}  torch {torch.__version__}")
    try:
        import flash_attn  # noqa: F401

        CONFIGS["lora-bf16-flash2"] = {**LORA, "attn_implementation": "flash_attention_2"}
    except ImportError:
        print("flash_attn is not installed here: flash_attention_2 not checked")
    results = []
    with tempfile.TemporaryDirectory(prefix="tunedeck-gpu-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("TUNEDECK_HOME", str(work / "home"))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("WANDB_MODE", "disabled")
        model = build_model(args.model_dir or work / "model")
        for name, knobs in CONFIGS.items():
            result = run_config(name, knobs, model, work)
            results.append(result)
            shown = {k: v for k, v in result.items() if k != "log_tail"}
            print(json.dumps(shown), flush=True)
            if "log_tail" in result:
                print(result["log_tail"], flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_check.json").write_text(json.dumps(results, indent=2))
    return 0 if all(r["rc"] == 0 and r["final"] == "finished" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
