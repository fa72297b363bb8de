"""This machine as a training run would find it: is a GPU usable, and what does the engine refuse without one.

Decided without importing torch (the TUI and ``validate`` stay light): a GPU counts when the driver shows a
device, the installed torch is a CUDA/ROCm build, and ``CUDA_VISIBLE_DEVICES`` does not hide every device.
``cpu_refusals`` is the one list of combinations the engine refuses on a CPU; ``engine.train.hardware`` raises
them at launch and ``validate`` reports them as errors on a machine without a GPU.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any


def gpu_usable() -> bool:
    """True when a training process started here would see a CUDA (or ROCm) GPU. TUNEDECK_FORCE_CPU=1 says no
    (a CPU run on a GPU machine: the launch command and validate then agree)."""
    if os.environ.get("TUNEDECK_FORCE_CPU", "").lower() in ("1", "true", "yes"):
        return False
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return False
    return _torch_gpu_build() is not False and _gpu_device_present()


@cache
def _torch_gpu_build() -> bool | None:
    """Whether the installed torch was built for CUDA or ROCm (read from torch/version.py); None if unknown."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    version = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        text = version.read_text(encoding="utf-8")
    except OSError:
        return None
    return bool(re.search(r"^(cuda|hip)\b[^=]*=\s*['\"]", text, re.MULTILINE))


@cache
def _gpu_device_present() -> bool:
    nvidia = Path("/proc/driver/nvidia/gpus")
    if nvidia.is_dir() and any(nvidia.iterdir()):
        return True
    if Path("/dev/nvidia0").exists() or Path("/dev/kfd").exists():  # kfd: ROCm's compute device
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.startswith("GPU ") for line in listed.splitlines())


def quantized(cfg: Any) -> bool:
    return bool(cfg.load_in_4bit or cfg.load_in_8bit or cfg.adapter == "qlora")


def evaluates(cfg: Any) -> bool:
    """Whether the run evaluates: a validation set, and neither eval_strategy no nor evals_per_epoch 0."""
    from engine.knobs.evaluation import has_validation

    return has_validation(cfg) and cfg.eval_strategy != "no" and cfg.evals_per_epoch != 0


def cpu_refusals(cfg: Any) -> Iterator[tuple[str, str]]:
    """(knob, message) for each combination the engine refuses to train on a CPU."""
    if cfg.bf16 is True:
        yield "bf16", ("bf16: true, but this machine has no GPU: CPU training runs in float32 here. "
                       "Set bf16: auto (it turns bf16 on only where a GPU supports it).")
    if cfg.fp16:
        yield "fp16", ("fp16: true needs a GPU (float16 mixed precision with loss scaling); this machine has none. "
                       "Set fp16: false to train in float32 on the CPU.")
    if quantized(cfg) and evaluates(cfg):
        yield "val_set_size", (
            f"val_set_size is {cfg.val_set_size:g} with a quantized (load_in_4bit/8bit) model on a machine without "
            "a GPU: after an evaluation pass, bitsandbytes' CPU kernels give silently wrong gradients, so the run "
            "would train on garbage. Set val_set_size: 0 for CPU QLoRA runs, or train on a GPU, or use adapter: "
            "lora without quantization.")
    if quantized(cfg) and cfg.sample_answers and evaluates(cfg):
        yield "sample_answers", (
            f"sample_answers is {cfg.sample_answers} with a quantized (load_in_4bit/8bit) model on a machine without a "
            "GPU: the samples are generated at each evaluation, and evaluating a quantized model on a CPU corrupts the "
            "gradients that follow. Set sample_answers: 0 for CPU QLoRA runs, or train on a GPU.")
    if quantized(cfg) and cfg.rl:
        yield "rl", (
            f"rl: {cfg.rl} with a quantized (load_in_4bit/8bit) model on a machine without a GPU: preference tuning "
            "runs no-grad forward passes (the reference model's log-probabilities, trl's logged rewards), and on a CPU "
            "those corrupt the gradients bitsandbytes computes afterwards, as evaluation does, so the run would train "
            "on garbage. Train on a GPU, or use adapter: lora without quantization on this machine.")
