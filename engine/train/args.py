"""Config → trl ``SFTConfig``: every knob the Trainer reads, mapped in one place.

SFTConfig's own defaults that do not fit tunedeck are overridden explicitly: gradient_checkpointing (trl: on),
bf16 (trl: on), logging_steps, max_length/packing (our data arrives tokenized, truncated and packed already).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import derive

from .failures import knob_error
from .hardware import Precision

if TYPE_CHECKING:
    from engine.knobs.config import Config


@dataclass(frozen=True)
class Plan:
    """The run's step arithmetic, from the real number of processes and training rows."""

    processes: int
    train_rows: int
    steps_per_epoch: int
    total_steps: int
    effective_batch_size: int


def plan(cfg: Config, train_rows: int | None, processes: int) -> Plan:
    """``train_rows`` None: a stream of unknown length, whose one "epoch" is the whole run of max_steps."""
    # derive counts processes from gpus_per_node × num_nodes; the launched world size is the truth here.
    real = cfg.model_copy(update={"gpus_per_node": processes, "num_nodes": 1})
    if train_rows is None:
        steps = int(cfg.max_steps or 1)
        return Plan(processes, 0, steps, steps, derive.effective_batch_size(real))
    per_epoch = derive.steps_per_epoch(real, num_rows=train_rows) or 1
    total = derive.total_steps(real, num_rows=train_rows) or 1
    return Plan(processes, train_rows, per_epoch, total, derive.effective_batch_size(real))


def eval_schedule(cfg: Config, p: Plan, has_eval: bool) -> dict[str, Any]:
    start = {"eval_on_start": True} if has_eval and cfg.eval_on_start else {}
    strategy, steps = derive.eval_plan(cfg, p.steps_per_epoch, has_eval)
    out: dict[str, Any] = {"eval_strategy": strategy, **start}
    if steps is not None:
        out["eval_steps"] = steps
    return out


def save_schedule(cfg: Config, p: Plan, has_eval: bool) -> dict[str, Any]:
    strategy, steps = derive.every(cfg.save_steps, cfg.saves_per_epoch, p.steps_per_epoch)
    strategy = cfg.save_strategy or strategy or "epoch"
    out: dict[str, Any] = {"save_strategy": strategy, "save_total_limit": cfg.save_total_limit}
    if strategy == "steps":
        out["save_steps"] = steps or max(1, p.steps_per_epoch)
    if strategy == "best" and not has_eval:
        raise knob_error(
            "save_strategy", "save_strategy: best saves when the validation loss improves, but there is no "
            "validation set: set val_set_size (e.g. 0.05), or use save_strategy: steps or epoch.",
        )
    if has_eval and (strategy == "best" or cfg.metric_for_best_model):
        # The best checkpoint is ranked by this metric (save_strategy best, and save_total_limit keeps it);
        # greater_is_better left empty lets transformers derive it from the name (a loss: lower is better).
        out["metric_for_best_model"] = cfg.metric_for_best_model or "eval_loss"
        out["greater_is_better"] = cfg.greater_is_better
        out["load_best_model_at_end"] = cfg.load_best_model_at_end
    return out


def scheduler(cfg: Config, p: Plan) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if cfg.lr_scheduler == "cosine_with_min_lr":
        kwargs["min_lr_rate"] = 0.1  # decay to a tenth of learning_rate
    elif cfg.lr_scheduler == "warmup_stable_decay":
        kwargs["num_decay_steps"] = max(1, math.ceil(0.1 * p.total_steps))  # decay over the last tenth
    return {"lr_scheduler_type": cfg.lr_scheduler, "lr_scheduler_kwargs": kwargs}


def warmup(cfg: Config) -> float:
    """transformers 5 takes a ratio as warmup_steps < 1 (our warmup_ratio, or a fractional warmup_steps)."""
    if cfg.warmup_steps is not None:
        return cfg.warmup_steps if cfg.warmup_steps < 1 else int(cfg.warmup_steps)
    return float(cfg.warmup_ratio or 0)


def reporting(cfg: Config) -> dict[str, Any]:
    use_wandb = bool(cfg.wandb_project) and cfg.wandb_mode != "disabled"
    return {"report_to": ["wandb"] if use_wandb else "none", "run_name": cfg.wandb_name}


def hub(cfg: Config) -> dict[str, Any]:
    if not cfg.hub_model_id:
        return {"push_to_hub": False}
    # No hub_token: huggingface_hub reads HF_TOKEN itself, so the token never lands in args or their logs.
    return {"push_to_hub": True, "hub_model_id": cfg.hub_model_id, "hub_strategy": cfg.hub_strategy or "every_save"}


def distributed(cfg: Config, preset_path: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if cfg.deepspeed:
        from engine.paths import resolve_path

        out["deepspeed"] = str(resolve_path(cfg.deepspeed, preset_path))
    if cfg.fsdp_config:
        out["fsdp"] = True
        out["fsdp_config"] = dict(cfg.fsdp_config)
    return out


def sft_kwargs(cfg: Config, precision: Precision, p: Plan, *, has_eval: bool,
               preset_path: Path | None) -> dict[str, Any]:
    """Everything SFTConfig gets, as plain values (unit-testable without building the config)."""
    return dict(
        output_dir=cfg.output_dir,
        seed=cfg.seed,
        data_seed=cfg.seed,
        num_train_epochs=float(cfg.num_epochs),
        max_steps=cfg.max_steps or -1,
        per_device_train_batch_size=cfg.micro_batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size or cfg.micro_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        # muon is none of transformers' optimizers: engine.train.muon builds it, and optim is then never read.
        optim="adamw_torch" if cfg.optimizer == "muon" else cfg.optimizer,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm or 0.0,
        warmup_steps=warmup(cfg),
        neftune_noise_alpha=cfg.neftune_noise_alpha,
        # transformers 5 renamed gradient_checkpointing; setting the new name also overrides trl's default of True.
        activation_checkpointing=cfg.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if cfg.gradient_checkpointing else None,
        bf16=precision.bf16,
        fp16=precision.fp16,
        tf32=precision.tf32,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        disable_tqdm=True,  # callbacks.LogLinesCallback prints plain lines instead (train.log is read by people)
        # Our data is tokenized, labelled, truncated (and packed) by engine.data: trl must not touch it.
        dataset_kwargs={"skip_prepare_dataset": True},
        max_length=None,
        packing=False,
        remove_unused_columns=False,
        dataloader_drop_last=False,
        dataloader_pin_memory=precision.device == "cuda",
        **scheduler(cfg, p),
        **eval_schedule(cfg, p, has_eval),
        **save_schedule(cfg, p, has_eval),
        **reporting(cfg),
        **hub(cfg),
        **distributed(cfg, preset_path),
    )


def build_sft_config(cfg: Config, precision: Precision, p: Plan, *, has_eval: bool, preset_path: Path | None) -> Any:
    from trl import SFTConfig

    kwargs = with_checkpointing_names(sft_kwargs(cfg, precision, p, has_eval=has_eval, preset_path=preset_path),
                                      {f.name for f in dataclasses.fields(SFTConfig)})
    return SFTConfig(**kwargs)


def with_checkpointing_names(kwargs: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """transformers renamed gradient_checkpointing to activation_checkpointing during 5.x (5.17 knows only the
    old name, 5.25 both): use whichever the installed version accepts."""
    if "activation_checkpointing" in accepted or "activation_checkpointing" not in kwargs:
        return kwargs
    renamed = dict(kwargs)
    renamed["gradient_checkpointing"] = renamed.pop("activation_checkpointing")
    renamed["gradient_checkpointing_kwargs"] = renamed.pop("activation_checkpointing_kwargs", None)
    return renamed
