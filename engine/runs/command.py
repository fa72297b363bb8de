"""The ``accelerate launch`` command for a preset: processes, machines, precision, DeepSpeed/FSDP, CPU.

Import-light (the TUI shows the command): no torch/accelerate here. The command runs
``python -m accelerate.commands.launch`` with this interpreter, so the venv's accelerate is the one used.

Two CPU processes: ``accelerate launch --cpu --num_processes 2`` quietly runs ONE process (its simple launcher
ignores the count). We use the multi-GPU launcher instead (``--multi_gpu`` → torch.distributed.run spawns N
ranks) and set ``ACCELERATE_USE_CPU=true`` so accelerate/transformers pick the gloo backend on CPU. The variable
is part of the command itself (``env ACCELERATE_USE_CPU=true …``), so the printed command is exactly what runs.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import TunedeckError
from engine.paths import resolve_path

if TYPE_CHECKING:
    from engine.knobs.config import Config

# The module accelerate launches. TUNEDECK_TRAIN_MODULE swaps it (tests use a fake trainer; experts a custom one).
TRAIN_MODULE = "engine.train"

# fsdp_config keys accelerate's launcher understands (as --fsdp_<key>); anything else is refused with a hint.
FSDP_KEYS = (
    "activation_checkpointing", "activation_checkpointing_offload", "auto_wrap_policy", "backward_prefetch",
    "cpu_ram_efficient_loading", "forward_prefetch", "min_num_params", "offload_params", "reshard_after_forward",
    "sharding_strategy", "state_dict_type", "sync_module_states", "transformer_layer_cls_to_wrap",
    "use_orig_params", "version",
)


def has_gpu() -> bool:
    """Whether the run will have a CUDA/ROCm GPU, without importing torch (engine.machine decides, for validate
    and the launch alike)."""
    from engine.machine import gpu_usable

    return gpu_usable()


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def num_processes(cfg: Config) -> int:
    return cfg.gpus_per_node * cfg.num_nodes


def mixed_precision(cfg: Config, gpu: bool) -> str:
    """bf16/fp16 knobs → accelerate's flag. "auto" passes "no": the trainer resolves it on the real device."""
    if not gpu:
        return "no"
    if cfg.bf16 is True:
        return "bf16"
    if cfg.fp16:
        return "fp16"
    return "no"


def _flag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def fsdp_flags(fsdp_config: dict[str, Any]) -> list[str]:
    """Axolotl's fsdp_config (keys with or without the ``fsdp_`` prefix) → accelerate's ``--fsdp_*`` flags."""
    flags: list[str] = []
    for key, value in fsdp_config.items():
        bare = key[len("fsdp_"):] if key.startswith("fsdp_") else key
        if bare not in FSDP_KEYS:
            raise TunedeckError(
                f"fsdp_config.{key}: accelerate has no FSDP setting called {bare!r}. "
                f"Use one of: {', '.join(FSDP_KEYS)} (with or without the fsdp_ prefix)."
            )
        flags += [f"--fsdp_{bare}", _flag_value(value)]
    return flags


def build_command(cfg: Config, run_dir: str | os.PathLike[str], *, gpu: bool | None = None,
                  preset_path: str | os.PathLike[str] | None = None) -> list[str]:
    """The exact argv that starts training for ``cfg`` in ``run_dir``. ``gpu`` defaults to :func:`has_gpu`."""
    gpu = has_gpu() if gpu is None else gpu
    procs = num_processes(cfg)
    cmd: list[str] = []
    if not gpu and procs > 1:
        cmd += ["env", "ACCELERATE_USE_CPU=true"]
    cmd += [sys.executable, "-m", "accelerate.commands.launch"]
    cmd += ["--num_processes", str(procs), "--num_machines", str(cfg.num_nodes)]
    if cfg.num_nodes > 1:
        if not cfg.main_process_ip:
            raise TunedeckError(
                f"num_nodes is {cfg.num_nodes} but main_process_ip is empty: set it to the address of machine 0."
            )
        # torch's own wait for the other machines is 15 minutes; rendezvous_timeout bounds it (see rendezvous.py)
        cmd += ["--machine_rank", str(cfg.machine_rank), "--main_process_ip", cfg.main_process_ip,
                "--main_process_port", str(cfg.main_process_port),
                "--rdzv_conf", f"timeout={cfg.rendezvous_timeout}"]
    elif procs > 1:
        cmd += ["--main_process_port", "0"]  # a free port: several local runs must not collide
    cmd += ["--mixed_precision", mixed_precision(cfg, gpu), "--dynamo_backend", "no"]
    if not gpu:  # share this machine's cores between the CPU processes (accelerate would guess and warn)
        cmd += ["--num_cpu_threads_per_process", str(max(1, _cpu_count() // cfg.gpus_per_node))]
    if cfg.deepspeed:
        ds = resolve_path(cfg.deepspeed, preset_path).absolute()
        cmd += ["--use_deepspeed", "--deepspeed_config_file", str(ds)]
    elif cfg.fsdp_config:
        cmd += ["--use_fsdp", *fsdp_flags(cfg.fsdp_config)]
    elif procs > 1:
        cmd += ["--multi_gpu"]  # on CPU too: the only launcher that really starts N processes
    else:
        if not gpu:
            cmd += ["--cpu"]
    module = os.environ.get("TUNEDECK_TRAIN_MODULE") or TRAIN_MODULE
    cmd += ["-m", module, str(Path(run_dir).absolute())]
    return cmd


def format_command(cmd: Sequence[str]) -> str:
    return shlex.join(cmd)
