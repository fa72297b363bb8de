"""tunedeck's memory estimate against measured ``torch.cuda.max_memory_allocated`` on a real GPU.

Trains a few configurations of a Qwen2.5-0.5B-shaped model (random weights from its real config.json, written
below) for three optimizer steps each with plain torch + transformers + peft the way tunedeck's trainer runs them
(bf16 weights under bf16 autocast, AdamW, LoRA adapters in fp32, non-reentrant checkpointing, transformers' own
loss), and prints the estimate's allocated part (everything but the CUDA context) beside the measured peak.
A 4-bit case runs only when bitsandbytes imports. Only tunedeck's pure estimate modules are imported (no preset
loading, no pydantic), so it runs where only torch/transformers/peft are installed.

    python bench/memory_estimate.py             # on a GPU: one short run (about a minute on an H200)
    python bench/memory_estimate.py --cpu-smoke # a tiny config on the CPU: exercises the code path, measures nothing

Without a CUDA GPU (and without --cpu-smoke) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.estimate.memory import GIB, estimate_memory  # noqa: E402  (a script: the repo goes on sys.path first)
from engine.estimate.setup import Dtype, Setup  # noqa: E402
from engine.estimate.shapes import shape_from_config  # noqa: E402

# Qwen/Qwen2.5-0.5B config.json (architecture fields).
QWEN25_05B: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
    "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936,
    "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "tie_word_embeddings": True,
    "hidden_act": "silu", "use_sliding_window": False, "sliding_window": 32768, "max_window_layers": 24,
    "bos_token_id": 151643, "eos_token_id": 151643, "attention_dropout": 0.0, "initializer_range": 0.02,
}
TINY: dict[str, Any] = {**QWEN25_05B, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
                        "bos_token_id": 0, "eos_token_id": 0}

CASES: list[dict[str, Any]] = [
    {"adapter": "lora", "gradient_checkpointing": True, "sequence_len": 1024},
    {"adapter": "lora", "gradient_checkpointing": True, "sequence_len": 4096},
    {"adapter": "lora", "gradient_checkpointing": False, "sequence_len": 1024},
    {"adapter": "lora", "gradient_checkpointing": False, "sequence_len": 4096},
    {"adapter": None, "gradient_checkpointing": True, "sequence_len": 1024},
    {"adapter": None, "gradient_checkpointing": True, "sequence_len": 4096},
    {"adapter": None, "gradient_checkpointing": False, "sequence_len": 1024},
    {"adapter": "qlora", "gradient_checkpointing": True, "sequence_len": 4096},
]


def build(config: dict[str, Any], case: dict[str, Any], device: str, dtype: Any) -> Any:
    import torch

    model: Any
    from transformers import AutoConfig, AutoModelForCausalLM

    values = dict(config)
    cfg = AutoConfig.for_model(values.pop("model_type"), **{k: v for k, v in values.items() if k != "architectures"})
    kwargs: dict[str, Any] = {"dtype": dtype, "attn_implementation": "sdpa"}
    if case["adapter"] == "qlora":
        # from_config cannot quantize: save random weights, then load them 4-bit as tunedeck does.
        import tempfile

        from transformers import BitsAndBytesConfig

        folder = tempfile.mkdtemp(prefix="memory-estimate-")
        AutoModelForCausalLM.from_config(cfg, dtype=dtype).save_pretrained(folder)
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype)
        model = AutoModelForCausalLM.from_pretrained(folder, device_map={"": device}, **kwargs)
    else:
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(cfg, **kwargs)
    if case["gradient_checkpointing"]:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    if case["adapter"]:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        if case["adapter"] == "qlora":
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=case["gradient_checkpointing"],
                gradient_checkpointing_kwargs={"use_reentrant": False})
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
        if case["adapter"] == "qlora":  # as trl does under bf16: adapter and embeddings in bf16, norms in fp32
            for name, module in model.named_modules():
                if "norm" in name:
                    module.to(torch.float32)
                elif ("lora_" in name or any(k in name for k in ("lm_head", "embed_tokens"))) \
                        and hasattr(module, "weight") and module.weight.dtype == torch.float32:
                    module.to(dtype)
    return model


def measure(config: dict[str, Any], case: dict[str, Any], device: str, micro_batch: int, steps: int) -> float | None:
    import torch

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = build(config, case, device, dtype)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    vocab = config["vocab_size"]
    for _ in range(steps):
        ids = torch.randint(0, vocab, (micro_batch, case["sequence_len"]), device=device)
        with torch.autocast(device_type=device, dtype=dtype, enabled=device == "cuda"):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    peak = torch.cuda.max_memory_allocated() / GIB if device == "cuda" else None
    del model, optimizer, params, loss
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return peak


def estimated(config: dict[str, Any], case: dict[str, Any], micro_batch: int, device: str) -> float:
    precision: Dtype = "bf16" if device == "cuda" else "fp32"
    setup = Setup(shape_from_config(config, "bench"), micro_batch=micro_batch, sequence_len=case["sequence_len"],
                  adapter=case["adapter"], quant_bits=4 if case["adapter"] == "qlora" else None, lora_r=16,
                  lora_targets="all-linear", weights=precision, mixed=precision, optimizer="adamw_torch",
                  gradient_checkpointing=case["gradient_checkpointing"], attn="sdpa")
    return estimate_memory(setup).allocated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny config on the CPU, nothing measured")
    parser.add_argument("--micro-batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args(argv)
    import torch

    if args.cpu_smoke:
        device, config, cases = "cpu", TINY, [dict(c, sequence_len=c["sequence_len"] // 16) for c in CASES]
    elif torch.cuda.is_available():
        device, config, cases = "cuda", QWEN25_05B, CASES
    else:
        print("memory_estimate: no CUDA GPU here; nothing measured (use --cpu-smoke to exercise the code path).")
        return 0
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        cases = [c for c in cases if c["adapter"] != "qlora"]
        print("bitsandbytes is not installed: the 4-bit case is skipped.")
    print(f"{'adapter':8} {'ckpt':5} {'seq':>6} {'estimate GiB':>13} {'measured GiB':>13} {'error':>7}")
    for case in cases:
        est = estimated(config, case, args.micro_batch, device)
        try:
            got = measure(config, case, device, args.micro_batch, args.steps)
        except torch.cuda.OutOfMemoryError:
            got = float("inf")
        error = f"{(est - got) / got:+.1%}" if got and got != float("inf") else "-"
        shown = "-" if got is None else "OOM" if got == float("inf") else f"{got:.2f}"
        print(f"{case['adapter'] or 'full':8} {case['gradient_checkpointing']!s:5} {case['sequence_len']:>6} "
              f"{est:>13.2f} {shown:>13} {error:>7}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
