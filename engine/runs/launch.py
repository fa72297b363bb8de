"""Starting a training run: the ``accelerate launch`` command, the run folder, and a detached process tree.

Import-light on purpose (the TUI imports it): no torch/transformers/accelerate at module level. The command runs
``python -m accelerate.commands.launch`` with this interpreter, so the venv's accelerate is the one used.

Two CPU processes: ``accelerate launch --cpu --num_processes 2`` quietly runs ONE process (its simple launcher
ignores the count). We use the multi-GPU launcher instead (``--multi_gpu`` → torch.distributed.run spawns N
ranks) and set ``ACCELERATE_USE_CPU=true`` so accelerate/transformers pick the gloo backend on CPU. The variable
is part of the command itself (``env ACCELERATE_USE_CPU=true …``), so the printed command is exactly what runs.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import TunedeckError
from engine.paths import resolve_path
from engine.runs import folder
from engine.runs.control import RUN_ENV

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

# Knobs holding local paths: written absolute into the run's preset, because RUN/preset.yaml sits elsewhere.
_PATH_KNOBS = ("base_model", "base_model_config", "tokenizer_config", "deepspeed", "dataset_prepared_path",
               "resume_from_checkpoint")


@dataclass(frozen=True)
class RunHandle:
    run_id: str
    run_dir: Path
    pid: int | None  # None for a dry run

    @property
    def command(self) -> str:
        return (self.run_dir / folder.COMMAND_FILE).read_text().strip()


def has_gpu() -> bool:
    """Whether a CUDA/ROCm device is visible, without importing torch. TUNEDECK_FORCE_CPU=1 says no."""
    if os.environ.get("TUNEDECK_FORCE_CPU", "").lower() in ("1", "true", "yes"):
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/kfd")


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
        cmd += ["--machine_rank", str(cfg.machine_rank), "--main_process_ip", cfg.main_process_ip,
                "--main_process_port", str(cfg.main_process_port)]
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


# --- the resolved preset -------------------------------------------------------------------------------------

def load_validated(preset_path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Config:
    """Validate via engine.preset (the teammate's loader); raises TunedeckError with every problem formatted."""
    try:
        from engine.preset import load_config
    except ImportError:  # the preset helper's module has not landed yet
        return _load_config_fallback(preset_path, overrides)
    return load_config(preset_path, list(overrides))


def preset_warnings(preset_path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> list[str]:
    """The preset's warnings (not errors), formatted with file and line, overrides applied."""
    try:
        from engine.preset import apply_override, format_problem, load_preset
    except ImportError:
        return []
    preset = load_preset(preset_path)
    for item in overrides:
        apply_override(preset, item)
    return [format_problem(p) for p in preset.warnings]


def _load_config_fallback(preset_path: str | os.PathLike[str], overrides: Sequence[str]) -> Config:
    from pydantic import ValidationError
    from ruamel.yaml import YAML, YAMLError

    from engine.knobs.config import Config

    try:
        data = YAML(typ="safe").load(Path(preset_path).read_text()) or {}
    except (OSError, YAMLError) as err:
        raise TunedeckError(f"{preset_path}: cannot read the preset: {err}") from err
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise TunedeckError(f"--set {item!r}: write key=value.")
        value = YAML(typ="safe").load(raw) if raw else None
        parts = key.split(".")
        node: Any = data
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    try:
        return Config(**data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise TunedeckError(f"{preset_path}: {problems}") from err


def resolved_preset(cfg: Config, preset_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The preset the run trains from: overrides applied, local paths absolute, unset knobs left to their defaults."""
    data = cfg.model_dump(mode="json", exclude_unset=True)
    data["output_dir"] = str(output_dir_of(cfg))
    for key in _PATH_KNOBS:
        value = data.get(key)
        if isinstance(value, str) and value:
            found = resolve_path(value, preset_path)
            if found.exists():
                data[key] = str(found.absolute())
    for ds in data.get("datasets") or []:
        found = resolve_path(ds["path"], preset_path)
        if found.exists():
            ds["path"] = str(found.absolute())
    return data


def output_dir_of(cfg: Config) -> Path:
    """output_dir as the trainer will use it: relative to the working directory, like Axolotl."""
    return Path(os.path.expanduser(cfg.output_dir)).absolute()


def dump_yaml(data: dict[str, Any], header: str = "") -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return header + buf.getvalue()


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --- the run folder and the process --------------------------------------------------------------------------

def new_run_id(preset_path: str | os.PathLike[str]) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(preset_path).stem)[:40] or "run"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}"


def _make_run_dir(runs_root: Path, run_id: str, exact: bool) -> Path:
    runs_root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = runs_root / (run_id if n == 1 else f"{run_id}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            if exact:
                raise TunedeckError(f"A run called {run_id!r} already exists in {runs_root}; pick another id.")
    raise TunedeckError(f"Could not create a run folder in {runs_root}: too many runs named {run_id!r}.")


def launch_env(run_dir: Path) -> dict[str, str]:
    """This environment, unbuffered, with the marker that finds every process of the run (see control)."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env[RUN_ENV] = str(run_dir)
    return env


def dry_run(preset_path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> tuple[list[str], str]:
    """(command, resolved preset YAML) without creating anything on disk."""
    cfg = load_validated(preset_path, overrides)
    run_dir = output_dir_of(cfg) / "runs" / new_run_id(preset_path)
    return build_command(cfg, run_dir, preset_path=preset_path), dump_yaml(resolved_preset(cfg, preset_path))


def launch(preset_path: str | os.PathLike[str], overrides: Sequence[str] = (), *, detach: bool = True,
           run_id: str | None = None) -> RunHandle:
    """Validate, create RUN under <output_dir>/runs/, start training in its own session, return at once.

    The process tree lives in a new session (no controlling terminal, its own process group), so closing the
    terminal or killing the launcher does not take it down. A daemon thread reaps the child while this process
    lives (no zombie for the status checks to trip over). ``detach=False`` waits for the run to end instead.
    """
    preset_path = Path(preset_path)
    cfg = load_validated(preset_path, overrides)
    out = output_dir_of(cfg)
    try:
        run_dir = _make_run_dir(out / "runs", run_id or new_run_id(preset_path), exact=run_id is not None)
    except OSError as err:
        raise TunedeckError(f"output_dir: cannot create a run folder under {out / 'runs'}: {err.strerror}. "
                            "Point output_dir at a folder you can write to.") from err
    try:
        cmd = build_command(cfg, run_dir, preset_path=preset_path)
        header = f"# resolved by tunedeck from {preset_path.absolute()}" + (
            f" with {' '.join(overrides)}" if overrides else "") + "\n"
        _write_text_atomic(run_dir / folder.PRESET_FILE, dump_yaml(resolved_preset(cfg, preset_path), header))
        _write_text_atomic(run_dir / folder.COMMAND_FILE, format_command(cmd) + "\n")
        folder.update_state(
            run_dir, run_id=run_dir.name, status="starting", pid=None, pgid=None, started_at=time.time(),
            ended_at=None, preset=str(preset_path.absolute()), overrides=list(overrides), output_dir=str(out),
            num_processes=num_processes(cfg), cwd=os.getcwd(), marker=str(run_dir),
        )
        _register(run_dir)
        with open(run_dir / folder.LOG_FILE, "ab") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env=launch_env(run_dir), cwd=os.getcwd(), close_fds=True,
            )
    except BaseException as err:
        shutil.rmtree(run_dir, ignore_errors=True)  # nothing started: leave no half-made run behind
        if isinstance(err, OSError):
            raise TunedeckError(f"Could not start the run in {run_dir}: {err}.") from err
        raise
    folder.update_state(run_dir, pid=proc.pid, pgid=proc.pid)
    if detach:
        _reap_in_background(proc)
    else:
        proc.wait()
    return RunHandle(run_dir.name, run_dir, proc.pid)


def _register(run_dir: Path) -> None:
    from engine.runs.index import index_path, register_run

    try:
        register_run(run_dir)
    except OSError as err:
        raise TunedeckError(f"Cannot write the run index {index_path()}: {err.strerror}. Set TUNEDECK_HOME to a "
                            "folder you can write to.") from err


def _reap_in_background(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the child in a daemon thread so it never lingers as a zombie while this process lives."""
    import threading

    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
