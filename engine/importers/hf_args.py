"""transformers' TrainingArguments, as SiloGen's ``training_args`` and turbo-alignment's ``trainer_settings``
spell them, onto tunedeck's knobs (tunedeck builds the same TrainingArguments from those knobs)."""

from __future__ import annotations

from .conversion import Conversion

# TrainingArguments name → the knob that sets it to the same value.
SAME_MEANING = {
    "per_device_train_batch_size": "micro_batch_size",
    "per_device_eval_batch_size": "eval_batch_size",
    "gradient_accumulation_steps": "gradient_accumulation_steps",
    "learning_rate": "learning_rate",
    "num_train_epochs": "num_epochs",
    "warmup_steps": "warmup_steps",
    "warmup_ratio": "warmup_ratio",
    "weight_decay": "weight_decay",
    "max_grad_norm": "max_grad_norm",
    "seed": "seed",
    "logging_steps": "logging_steps",
    "save_steps": "save_steps",
    "eval_steps": "eval_steps",
    "save_total_limit": "save_total_limit",
    "bf16": "bf16",
    "fp16": "fp16",
    "tf32": "tf32",
    "gradient_checkpointing": "gradient_checkpointing",
    "output_dir": "output_dir",
    "neftune_noise_alpha": "neftune_noise_alpha",
    "lr_scheduler_type": "lr_scheduler",
    "optim": "optimizer",
    "evaluation_strategy": "eval_strategy",
    "eval_strategy": "eval_strategy",
    "save_strategy": "save_strategy",
    "metric_for_best_model": "metric_for_best_model",
    "greater_is_better": "greater_is_better",
}

# Knobs naming one of a set (an optimizer, a schedule): another tool's name tunedeck lacks is not carried over,
# where a wrong value of any other knob is an error in the source.
NAMED_CHOICES = ("optimizer", "lr_scheduler")

# Arguments that only shape logging or the trainer's housekeeping: why tunedeck does not take them.
NOT_TAKEN = {
    "logging_strategy": "tunedeck logs every logging_steps steps",
    "overwrite_output_dir": "tunedeck never overwrites a run: each run gets a folder of its own",
    "push_to_hub": "set hub_model_id in the preset to push",
    "report_to": "tunedeck reports to Weights & Biases when wandb_project is set, else to its run folder",
    "gradient_checkpointing_kwargs": "tunedeck always uses the non-reentrant form",
    "no_cuda": "tunedeck trains on the GPU when there is one, on the CPU otherwise",
    "group_by_length": "tunedeck batches in data order (sample_packing packs instead)",
}


def convert_training_args(conv: Conversion, prefix: str) -> None:
    """Map every TrainingArguments key under ``prefix`` that tunedeck has; the rest the caller or the final
    sweep reports."""
    args = conv.section(prefix)
    for name, value in args.items():
        key = f"{prefix}.{name}"
        if name == "num_train_epochs" and isinstance(args.get("max_steps"), int) and args["max_steps"] > 0:
            conv.drop(key, "max_steps is set, and transformers then ignores the number of epochs")
        elif name == "max_steps":
            if value is None or value == -1:
                conv.same(key, "-1 means: run num_epochs epochs")
            else:
                conv.exact(key, "max_steps")
        elif name in SAME_MEANING:
            target = SAME_MEANING[name]
            if target not in NAMED_CHOICES or conv.fits(target, value):
                conv.exact(key, target)  # a wrong type is a problem reported at its line
            else:
                conv.drop(key, f"{value!r} is not one of tunedeck's {target} values (`tunedeck explain {target}`)")
        elif name in NOT_TAKEN:
            conv.drop(key, NOT_TAKEN[name])
