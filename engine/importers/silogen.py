"""SiloGen finetuning YAML (``finetuning sft`` / ``finetuning dpo``) → a tunedeck preset (facts from its
finetuning config schema)."""

from __future__ import annotations

from typing import Any

from . import signatures
from .conversion import Conversion
from .hf_args import convert_training_args
from .silogen_data import convert_data
from .source import SourceConfig

REQUIRED = ("data_conf", "training_args", "batchsize_conf", "run_conf")
DPO_ONLY_ARGS = ("beta", "max_prompt_length", "loss_type", "label_smoothing")


looks_like = signatures.silogen


def method_of(data: dict[str, Any]) -> str:
    """sft or dpo: the config's ``method``, else dpo when its training_args carry DPO's own arguments."""
    if data.get("method") in ("sft", "dpo"):
        return str(data["method"])
    args = data.get("training_args")
    return "dpo" if isinstance(args, dict) and any(k in args for k in DPO_ONLY_ARGS) else "sft"


def convert(source: SourceConfig) -> Conversion:
    method = method_of(source.data)
    conv = Conversion(source, f"SiloGen finetuning ({method})")
    for name in REQUIRED:
        conv.section(name, required=True)
    conv.same("method", f"trains {method}")
    if method == "dpo":
        conv.preset["rl"] = "dpo"
        conv.exact("training_args.beta", "rl_beta")
        conv.exact("training_args.max_prompt_length", "max_prompt_len")
        conv.exact("training_args.max_length", "sequence_len")
    conv.exact("sft_args.max_seq_length", "sequence_len")
    convert_data(conv, method)
    _batch(conv)
    convert_training_args(conv, "training_args")
    _peft(conv)
    _run(conv)
    _quant(conv)
    _overrides(conv)
    conv.drop("tracking", "tunedeck tracks with Weights & Biases (wandb_project), not MLflow")
    conv.finish()
    return conv


def _batch(conv: Conversion) -> None:
    b = "batchsize_conf"
    conv.exact(f"{b}.total_train_batch_size", "target_effective_batch_size",
               note="micro batch and accumulation are derived from the number of processes at launch, by SiloGen's "
               "rule")
    conv.exact(f"{b}.max_per_device_train_batch_size", "max_micro_batch_size")
    conv.exact(f"{b}.per_device_eval_batch_size", "eval_batch_size")


def _peft(conv: Conversion) -> None:
    p = "peft_conf"
    kind = conv.get(f"{p}.peft_type", "NO_PEFT")
    if kind == "LORA":
        conv.exact(f"{p}.peft_type", "adapter", "qlora" if conv.get("quant_conf.load_in_4bit") else "lora")
        for key, target in (("r", "lora_r"), ("lora_alpha", "lora_alpha"), ("lora_dropout", "lora_dropout"),
                            ("target_modules", "lora_target_modules")):
            conv.exact(f"{p}.peft_kwargs.{key}", target)
        if conv.get(f"{p}.task_type") == "CAUSAL_LM":
            conv.same(f"{p}.task_type", "a causal LM")
    elif kind == "NO_PEFT":
        conv.same(f"{p}.peft_type", "every weight is trained")
    else:
        conv.drop(p, f"{kind} adapters are not in tunedeck: without an adapter the preset trains every weight")


def _run(conv: Conversion) -> None:
    r = "run_conf"
    conv.exact(f"{r}.model", "base_model")
    conv.exact(f"{r}.model_args.attn_implementation", "attn_implementation")
    conv.same(f"{r}.model_args.use_cache", "the KV cache is off while training")
    conv.exact(f"{r}.model_args.trust_remote_code", "trust_remote_code")
    resume = conv.get(f"{r}.resume_from_checkpoint")
    if resume in (False, None):
        conv.same(f"{r}.resume_from_checkpoint", "starts fresh")
    elif resume in (True, "auto"):
        conv.exact(f"{r}.resume_from_checkpoint", "auto_resume_from_checkpoints", True,
                   "continue from the newest checkpoint in output_dir")
    else:
        conv.exact(f"{r}.resume_from_checkpoint", "resume_from_checkpoint", str(resume))


def _quant(conv: Conversion) -> None:
    q = "quant_conf"
    if conv.get(f"{q}.quantization_type", "no-quantization") == "no-quantization":
        conv.same(q, "no quantization")
        return
    conv.handled(f"{q}.quantization_type")
    conv.exact(f"{q}.load_in_4bit", "load_in_4bit")
    conv.exact(f"{q}.load_in_8bit", "load_in_8bit")


def _overrides(conv: Conversion) -> None:
    o = "overrides"
    if conv.get(f"{o}.lr_multiplier", 1.0) == 1.0:
        conv.same(f"{o}.lr_multiplier", "1.0: the learning rate as written")
    else:
        conv.exact(f"{o}.lr_multiplier", "lr_multiplier")
    if conv.get(f"{o}.lr_batch_size_scaling", "none") == "none":
        conv.same(f"{o}.lr_batch_size_scaling", "none")
    else:
        conv.exact(f"{o}.lr_batch_size_scaling", "lr_batch_size_scaling",
                   note="by the effective batch, which is total_train_batch_size")
