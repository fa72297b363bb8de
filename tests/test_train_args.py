"""Precision and the Config → SFTConfig mapping, checked without training."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import TunedeckError
from engine.knobs import Config
from engine.train.args import build_sft_config, plan, sft_kwargs
from engine.train.hardware import resolve_precision
from engine.train.tracking import wandb_env

DATA = [{"path": "data.jsonl", "type": "completion"}]


def cfg(**knobs) -> Config:
    return Config(base_model="m", datasets=DATA, **knobs)


def kwargs(c: Config, rows: int = 100, processes: int = 1, has_eval: bool = False, **hw):
    precision = resolve_precision(c, **({"cuda": False, "bf16_supported": False} | hw))
    return sft_kwargs(c, precision, plan(c, rows, processes), has_eval=has_eval, preset_path=None)


@pytest.mark.parametrize(("bf16", "supported", "want"), [("auto", True, True), ("auto", False, False),
                                                         (True, True, True), (False, True, False)])
def test_bf16_auto_follows_the_gpu(bf16, supported, want) -> None:
    p = resolve_precision(cfg(bf16=bf16), cuda=True, bf16_supported=supported)
    assert p.bf16 is want and p.device == "cuda"
    assert p.dtype_name == ("bfloat16" if want else "float32")


def test_cpu_trains_in_float32_and_refuses_gpu_only_precision() -> None:
    p = resolve_precision(cfg(), cuda=False, bf16_supported=False)
    assert (p.bf16, p.fp16, p.tf32, p.dtype_name) == (False, False, None, "float32")
    for knobs, key in (({"bf16": True}, "bf16"), ({"fp16": True, "bf16": False}, "fp16")):
        with pytest.raises(TunedeckError) as err:
            resolve_precision(cfg(**knobs), cuda=False, bf16_supported=False)
        assert err.value.key == key


def test_bf16_true_without_support_and_fp16_adapter_dtype() -> None:
    with pytest.raises(TunedeckError, match="Ampere"):
        resolve_precision(cfg(bf16=True), cuda=True, bf16_supported=False)
    fp16 = resolve_precision(cfg(bf16=False, fp16=True, adapter="lora"), cuda=True, bf16_supported=False)
    assert (fp16.fp16, fp16.dtype_name) == (True, "float16")
    full = resolve_precision(cfg(bf16=False, fp16=True, tf32=True), cuda=True, bf16_supported=False)
    assert (full.dtype_name, full.tf32) == ("float32", True)  # fp16 master weights cannot be unscaled


def test_cpu_quantized_with_evaluation_is_refused_but_gpu_is_fine() -> None:
    risky = cfg(adapter="qlora", load_in_4bit=True, val_set_size=0.1)
    with pytest.raises(TunedeckError) as err:
        resolve_precision(risky, cuda=False, bf16_supported=False)
    assert err.value.key == "val_set_size" and "val_set_size: 0" in str(err.value)
    resolve_precision(cfg(adapter="qlora", load_in_4bit=True), cuda=False, bf16_supported=False)
    resolve_precision(cfg(adapter="qlora", load_in_4bit=True, val_set_size=0.1, eval_strategy="no"),
                      cuda=False, bf16_supported=False)
    resolve_precision(risky, cuda=True, bf16_supported=True)


def test_batching_schedule_and_defaults_trl_would_change() -> None:
    k = kwargs(cfg(micro_batch_size=4, eval_batch_size=8, gradient_accumulation_steps=2, num_epochs=3,
                   learning_rate=1e-4, optimizer="adamw_torch_fused", lr_scheduler="linear", weight_decay=0.01,
                   max_grad_norm=0.3, neftune_noise_alpha=5, seed=7, logging_steps=5))
    assert k["per_device_train_batch_size"] == 4 and k["per_device_eval_batch_size"] == 8
    assert k["gradient_accumulation_steps"] == 2 and k["num_train_epochs"] == 3 and k["max_steps"] == -1
    assert (k["optim"], k["lr_scheduler_type"], k["weight_decay"], k["max_grad_norm"]) == (
        "adamw_torch_fused", "linear", 0.01, 0.3)
    assert (k["neftune_noise_alpha"], k["seed"], k["data_seed"], k["logging_steps"]) == (5, 7, 7, 5)
    assert k["activation_checkpointing"] is False and k["bf16"] is False  # trl defaults both to True
    assert k["dataset_kwargs"] == {"skip_prepare_dataset": True} and k["max_length"] is None
    assert k["report_to"] == "none" and k["push_to_hub"] is False
    with_gc = kwargs(cfg(gradient_checkpointing=True, max_steps=10))
    assert with_gc["activation_checkpointing_kwargs"] == {"use_reentrant": False} and with_gc["max_steps"] == 10


def test_warmup_steps_or_ratio() -> None:
    assert kwargs(cfg(warmup_steps=10))["warmup_steps"] == 10
    ratio = kwargs(cfg(warmup_ratio=0.1))["warmup_steps"]
    assert isinstance(ratio, float) and ratio == 0.1  # transformers 5 reads < 1 as a ratio
    assert kwargs(cfg())["warmup_steps"] == 0


def test_per_epoch_eval_and_save_become_step_intervals() -> None:
    # 100 rows, micro 5, accumulation 2 → 10 optimizer steps per epoch.
    c = cfg(micro_batch_size=5, gradient_accumulation_steps=2, val_set_size=0.1, evals_per_epoch=2,
            saves_per_epoch=5, save_total_limit=2)
    k = kwargs(c, has_eval=True)
    assert (k["eval_strategy"], k["eval_steps"]) == ("steps", 5)
    assert (k["save_strategy"], k["save_steps"], k["save_total_limit"]) == ("steps", 2, 2)
    assert kwargs(c, has_eval=False)["eval_strategy"] == "no"
    two = kwargs(c, processes=2, has_eval=True)  # each process sees half: 5 steps per epoch
    assert two["eval_steps"] == 2 and plan(c, 100, 2).steps_per_epoch == 5
    plain = kwargs(cfg(val_set_size=0.1), has_eval=True)
    assert plain["eval_strategy"] == "epoch" and plain["save_strategy"] == "epoch"
    assert kwargs(cfg(eval_steps=0.25, save_steps=50), has_eval=True)["eval_steps"] == 0.25
    with pytest.raises(TunedeckError, match="validation"):
        kwargs(cfg(save_strategy="best"))


def test_tracking_and_hub_knobs() -> None:
    c = cfg(wandb_project="p", wandb_entity="e", wandb_name="n", wandb_mode="offline", wandb_log_model="end",
            hub_model_id="me/model", hub_strategy="end")
    k = kwargs(c)
    assert k["report_to"] == ["wandb"] and k["run_name"] == "n"
    assert (k["push_to_hub"], k["hub_model_id"], k["hub_strategy"]) == (True, "me/model", "end")
    assert "hub_token" not in k
    assert wandb_env(c) == {"WANDB_PROJECT": "p", "WANDB_ENTITY": "e", "WANDB_NAME": "n", "WANDB_MODE": "offline",
                            "WANDB_LOG_MODEL": "end"}
    assert kwargs(cfg(wandb_project="p", wandb_mode="disabled"))["report_to"] == "none"
    assert wandb_env(cfg()) == {}


def test_the_mapping_builds_a_real_sft_config(tmp_path: Path) -> None:
    c = cfg(output_dir=str(tmp_path / "out"), warmup_ratio=0.05, lr_scheduler="cosine_with_min_lr",
            gradient_checkpointing=True, max_steps=20)
    precision = resolve_precision(c, cuda=False, bf16_supported=False)
    args = build_sft_config(c, precision, plan(c, 40, 1), has_eval=False, preset_path=None)
    assert args.gradient_checkpointing is True and args.bf16 is False and args.max_steps == 20
    assert args.get_warmup_steps(20) == 1 and args.lr_scheduler_kwargs == {"min_lr_rate": 0.1}
    assert args.output_dir == str(tmp_path / "out")


def test_failures_become_one_paragraph_with_the_culprit_knob(tmp_path: Path) -> None:
    import torch
    from huggingface_hub.errors import OfflineModeIsEnabled

    from engine.train.failures import describe, knob_error, log_tail

    assert describe(knob_error("lora_r", "lora_r is odd.")) == ("lora_r is odd.", "lora_r")
    message, key = describe(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert key == "micro_batch_size" and "gradient_checkpointing" in message and "sequence_len" in message
    message, key = describe(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate "
                                         "memory: you tried to allocate 123 bytes"))
    assert key == "micro_batch_size"
    message, key = describe(OfflineModeIsEnabled("Cannot reach https://huggingface.co/api/repos/create: offline"))
    assert key == "hub_model_id" and "HF_TOKEN" in message
    message, key = describe(ValueError("shapes do not match\nsecond line"))
    assert key is None and "ValueError: shapes do not match" in message and "second line" not in message
    log = tmp_path / "train.log"
    log.write_bytes(b"one\n 10%|#  \r 50%|#####  \rdone 100%\n\nlast line\n")
    # As a terminal (and the run screen's log pane) shows it: the shorter redraw leaves the longer one's tail.
    assert log_tail(log) == "one\ndone 100%#\nlast line"


def test_log_lines_are_plain_and_match_what_followers_leave_out() -> None:
    from engine.runs.folder import METRIC_LINE
    from engine.train.callbacks import log_line

    step = log_line(12, 456, {"loss": 3.7561, "grad_norm": 8.734, "learning_rate": 0.00099481, "epoch": 0.2105})
    assert step == "train step 12/456  loss 3.756  lr 9.948e-04  grad_norm 8.734  epoch 0.2105"
    evaluation = log_line(57, 456, {"epoch": 1.0, "eval_loss": 2.7791, "eval_runtime": 1.087})
    assert evaluation == "eval step 57/456  eval_loss 2.779  epoch 1  eval_runtime 1.087"
    done = log_line(456, 456, {"train_runtime": 4.97, "train_loss": 1.897, "total_flos": 1e12, "epoch": 8.0})
    assert done == "done step 456/456  train_loss 1.897  epoch 8  train_runtime 4.97"
    assert METRIC_LINE.match(step) and METRIC_LINE.match(evaluation) and not METRIC_LINE.match(done)
    assert log_line(1, 2, {"total_flos": 1.0}) is None
    assert METRIC_LINE.match("saved checkpoint-57 in /runs/out")


@pytest.mark.parametrize("on", [True, False])
def test_checkpointing_uses_the_name_the_installed_transformers_accepts(on: bool) -> None:
    """transformers 5.17 (seen on a GPU server) has only gradient_checkpointing; 5.25 adds activation_checkpointing.
    Passing the new name to the old version failed every run with a TypeError."""
    from engine.train.args import with_checkpointing_names

    new = kwargs(cfg(gradient_checkpointing=on))
    old_names = {"gradient_checkpointing", "gradient_checkpointing_kwargs", *new} - {
        "activation_checkpointing", "activation_checkpointing_kwargs"}
    for_old = with_checkpointing_names(new, old_names)
    assert set(for_old) <= old_names
    assert for_old["gradient_checkpointing"] is on
    assert for_old["gradient_checkpointing_kwargs"] == ({"use_reentrant": False} if on else None)
    both = old_names | {"activation_checkpointing", "activation_checkpointing_kwargs"}
    assert with_checkpointing_names(new, both) == new
