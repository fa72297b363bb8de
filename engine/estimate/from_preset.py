"""A preset's knobs → the estimate's :class:`Setup` (model shapes, precision, adapter, sharding).

Precision follows engine.train.hardware on a GPU: bf16 auto means bf16 (the estimate is for a GPU); fp16 loads
the base in fp16 under an adapter, in fp32 otherwise (master weights for the loss scaler); neither means fp32.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any, Literal

from engine import derive
from engine.attention import attention_plan, kernels_installed
from engine.knobs.adapter import target_parameter_names
from engine.knobs.batching import offload_target
from engine.knobs.prompt_learning import PROMPT_LEARNING_ADAPTERS
from engine.paths import resolve_path

from .setup import Dtype, Setup, Sharding
from .shapes import ShapeError, resolve_shape


def precision(cfg: Any) -> tuple[Dtype, Dtype]:
    """(dtype the base loads in, autocast compute dtype)."""
    if cfg.bf16 is True or (cfg.bf16 == "auto" and not cfg.fp16):
        return "bf16", "bf16"
    if cfg.fp16:
        return ("fp16" if cfg.adapter else "fp32"), "fp16"
    return "fp32", "fp32"


def sharding(cfg: Any, preset_path: str | os.PathLike[str] | None) -> Sharding:
    if cfg.deepspeed:
        path = resolve_path(cfg.deepspeed, preset_path)
        try:
            ds = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ShapeError(f"deepspeed {cfg.deepspeed}: cannot read the DeepSpeed config ({err}), so how memory is "
                             "shared is unknown; fix the path or the JSON.") from None
        zero = ds.get("zero_optimization") or {}
        stage = int(zero.get("stage", 0) or 0)

        def offloaded(key: str) -> bool:
            return str((zero.get(key) or {}).get("device", "none")).lower() not in ("none", "")

        return Sharding(stage, offloaded("offload_optimizer"), offloaded("offload_param"), f"DeepSpeed ZeRO-{stage}")
    if cfg.fsdp_config:
        fsdp = {k.removeprefix("fsdp_"): v for k, v in dict(cfg.fsdp_config).items()}
        strategy = str(fsdp.get("sharding_strategy", "")).upper()
        if strategy in ("NO_SHARD", "3"):
            stage = 0
        elif strategy in ("SHARD_GRAD_OP", "2") or fsdp.get("reshard_after_forward") is False:
            stage = 2
        else:
            stage = 3
        offload = bool(fsdp.get("offload_params"))
        return Sharding(stage, offload, offload and stage >= 3, "FSDP" + (" full shard" if stage == 3 else ""))
    return Sharding()


def gpu_attention(cfg: Any) -> str:
    """The attention a GPU run loads (the estimate is for a GPU). Not engine.train.model's: that one asks torch
    whether this machine has a GPU, and the TUI, which shows the estimate, never imports torch."""
    return attention_plan(cfg, gpu=True, kernels=kernels_installed()).implementation


PAIRED_METHODS = ("dpo", "ipo", "orpo", "simpo")
REFERENCE_METHODS = ("dpo", "ipo", "kto")


def setup_from_config(cfg: Any, preset_path: str | os.PathLike[str] | None = None, *,
                      download: bool = False) -> Setup:
    """The run the preset describes, for the estimate. Raises ShapeError when the model's shapes are unknown."""
    if not cfg.base_model:
        raise ShapeError("base_model is empty: name the model to fine-tune to get a memory estimate.")
    if cfg.adapter in PROMPT_LEARNING_ADAPTERS:  # the model counts LoRA or full weights only: no wrong figure
        raise ShapeError(f"not estimated for prompt tuning (adapter {cfg.adapter}): the estimate models full "
                         "fine-tuning and LoRA only. The frozen base's weights and activations dominate; estimate "
                         "the same preset with adapter: lora as an upper bound.")
    shape = resolve_shape(cfg.base_model_config or cfg.base_model, preset_path=preset_path,
                          revision=cfg.revision_of_model, download=download)
    if cfg.reward_model:  # engine.train.model loads it with a one-output score head instead of the LM head
        shape = replace(shape, score_head=True)
    weights, mixed = precision(cfg)
    quant: Literal[4, 8] | None = 4 if (cfg.load_in_4bit or cfg.adapter == "qlora") else 8 if cfg.load_in_8bit else None
    targets: tuple[str, ...] | str | None
    if cfg.lora_target_modules:
        targets = cfg.lora_target_modules if isinstance(cfg.lora_target_modules, str) \
            else tuple(cfg.lora_target_modules)
    else:
        targets = "all-linear" if cfg.lora_target_linear else None
    setup = Setup(
        shape=shape, micro_batch=derive.batch_split(cfg).micro_batch_size, sequence_len=int(cfg.sequence_len),
        adapter=cfg.adapter, quant_bits=quant if cfg.adapter else None, lora_r=int(cfg.lora_r), lora_targets=targets,
        lora_parameters=tuple(target_parameter_names(cfg.lora_target_parameters)),
        lora_dropout=float(cfg.lora_dropout), weights=weights, mixed=mixed, optimizer=str(cfg.optimizer),
        gradient_checkpointing=bool(cfg.gradient_checkpointing), activation_offload=offload_target(cfg),
        attn=gpu_attention(cfg),
        processes=derive.num_processes(cfg), sharding=sharding(cfg, preset_path),
        # Preference tuning: DPO, IPO, ORPO and SimPO batch each pair's chosen and rejected sequences; DPO, IPO
        # and KTO run a frozen reference model (engine.train.preference).
        preference=cfg.rl in PAIRED_METHODS, reference_model=cfg.rl in REFERENCE_METHODS,
    )
    if setup.adapter and not setup.lora_modules():
        chosen = f"lora_target_modules {cfg.lora_target_modules or '(peft default)'}"
        if setup.lora_parameters:
            chosen = f"lora_target_parameters {', '.join(setup.lora_parameters)}"
        raise ShapeError(f"{chosen} matches no layer of {shape.source} (its layers: "
                         f"{', '.join(lin.name for lin in shape.linears())}); name some of them or set "
                         "lora_target_linear: true.")
    return setup
