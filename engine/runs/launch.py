"""Starting a training run: validate, make the run folder, start a detached process tree, return at once.

Import-light on purpose (the TUI imports it): no torch/transformers/accelerate at module level. The command
itself is built in :mod:`engine.runs.command` (re-exported here: ``build_command``, ``format_command``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.atomic import atomic_write_text
from engine.errors import TunedeckError
from engine.knobs.registry import path_knobs
from engine.paths import resolve_path
from engine.runs import folder
from engine.runs.command import build_command, format_command, num_processes
from engine.runs.output_dir import StartPlan, StartRequest, plan_start
from engine.runs.processes import RUN_ENV

__all__ = [
    "Resolved",
    "RunHandle",
    "StartRequest",
    "build_command",
    "dry_run",
    "format_command",
    "launch",
    "preset_warnings",
    "resolve",
    "resume_run",
    "start_plan",
]

if TYPE_CHECKING:
    from engine.knobs.config import Config

# Knobs holding local paths: written absolute into the run's preset, because RUN/preset.yaml sits elsewhere.
_PATH_KNOBS = tuple(k.key for k in path_knobs())


@dataclass(frozen=True)
class RunHandle:
    run_id: str
    run_dir: Path
    pid: int | None  # None for a dry run
    plan: StartPlan | None = None

    @property
    def command(self) -> str:
        return (self.run_dir / folder.COMMAND_FILE).read_text().strip()


# --- the resolved preset -------------------------------------------------------------------------------------

@dataclass
class Resolved:
    """A validated preset with the run's overrides applied, and the text RUN/preset.yaml gets."""

    config: Config
    text: str
    warnings: list[str]


def resolve(preset_path: str | os.PathLike[str], overrides: Sequence[str] = (),
            plan: StartPlan | None = None) -> Resolved:
    """Load, apply "key=value" overrides, validate (TunedeckError lists every problem), make local paths absolute.

    The text is the user's own document (comments kept) with those edits: RUN/preset.yaml sits in another folder
    and the trainer may run from another directory, so every path that exists is written out in full. ``plan``
    (see engine.runs.output_dir) sets the folder the run writes to and the checkpoint it resumes from.
    """
    return _resolved(_loaded(preset_path, overrides), preset_path, plan)


def _loaded(preset_path: str | os.PathLike[str], overrides: Sequence[str]) -> Any:
    from engine.preset import apply_override, load_preset

    preset = load_preset(preset_path)
    for item in overrides:
        apply_override(preset, item)
    return preset


def _resolved(preset: Any, preset_path: str | os.PathLike[str], plan: StartPlan | None) -> Resolved:
    from engine.preset import format_problem

    cfg = preset.config
    warnings = [format_problem(p) for p in preset.warnings]
    for key in _PATH_KNOBS:
        value = getattr(cfg, key, None)
        if isinstance(value, str) and value and resolve_path(value, preset_path).exists():
            preset.set(key, str(resolve_path(value, preset_path).absolute()))
    from engine.data.templates import is_template_file

    for entries in ("datasets", "test_datasets"):  # the run folder's copy must find them from anywhere
        for n, ds in enumerate(getattr(cfg, entries)):
            if resolve_path(ds.path, preset_path).exists():
                preset.set(f"{entries}.{n}.path", str(resolve_path(ds.path, preset_path).absolute()))
            if is_template_file(ds.chat_template_jinja):
                preset.set(f"{entries}.{n}.chat_template_jinja", str(Path(ds.chat_template_jinja).absolute()))
    if is_template_file(cfg.chat_template_jinja):
        preset.set("chat_template_jinja", str(Path(cfg.chat_template_jinja).absolute()))
    preset.set("output_dir", str(plan.output_dir if plan else output_dir_of(cfg)))
    if plan is not None and plan.resume_from is not None:
        preset.set("resume_from_checkpoint", str(plan.resume_from))
    return Resolved(cfg, preset.to_yaml(), warnings)


def start_plan(preset_path: str | os.PathLike[str], overrides: Sequence[str] = (),
               start: StartRequest = StartRequest()) -> StartPlan:
    """Where a launch now would write and what it would resume (TunedeckError when it would refuse)."""
    return plan_start(_loaded(preset_path, overrides).config, preset_path, start)


def preset_warnings(preset_path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> list[str]:
    """The preset's warnings (not errors), formatted with file and line, overrides applied."""
    from engine.preset import apply_override, format_problem, load_preset

    preset = load_preset(preset_path)
    for item in overrides:
        apply_override(preset, item)
    return [format_problem(p) for p in preset.warnings]


def output_dir_of(cfg: Config) -> Path:
    """output_dir as the trainer will use it: relative to the working directory, like Axolotl."""
    return Path(os.path.expanduser(cfg.output_dir)).absolute()


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
                raise TunedeckError(
                    f"A run called {run_id!r} already exists in {runs_root}; pick another id.") from None
    raise TunedeckError(f"Could not create a run folder in {runs_root}: too many runs named {run_id!r}.")


def launch_env(run_dir: Path) -> dict[str, str]:
    """This environment, unbuffered, with the marker that finds every process of the run (see control)."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env[RUN_ENV] = str(run_dir)
    return env


def dry_run(preset_path: str | os.PathLike[str], overrides: Sequence[str] = (),
            start: StartRequest = StartRequest()) -> tuple[list[str], str]:
    """(command, resolved preset YAML) without creating anything on disk."""
    preset = _loaded(preset_path, overrides)
    resolved = _resolved(preset, preset_path, plan_start(preset.config, preset_path, start))
    run_dir = output_dir_of(resolved.config) / "runs" / new_run_id(preset_path)
    return build_command(resolved.config, run_dir, preset_path=preset_path), resolved.text


def launch(preset_path: str | os.PathLike[str], overrides: Sequence[str] = (), *, detach: bool = True,
           run_id: str | None = None, start: StartRequest = StartRequest()) -> RunHandle:
    """Validate, decide where the run writes (engine.runs.output_dir: resume, a new folder, or a refusal),
    create RUN under <output_dir>/runs/, start training in its own session, return at once.

    The process tree lives in a new session (no controlling terminal, its own process group), so closing the
    terminal or killing the launcher does not take it down. A daemon thread reaps the child while this process
    lives (no zombie for the status checks to trip over). ``detach=False`` waits for the run to end instead.
    """
    preset_path = Path(preset_path)
    if run_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", run_id):
        raise TunedeckError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-' (it names a folder).")
    preset = _loaded(preset_path, overrides)
    cfg = preset.config
    # Deciding and claiming the folder is one step: two launches at once must not both pick the same one.
    with _output_lock(output_dir_of(cfg)):
        plan = plan_start(cfg, preset_path, start)
        resolved = _resolved(preset, preset_path, plan)
        out = plan.output_dir
        try:
            run_dir = _make_run_dir(out / "runs", run_id or new_run_id(preset_path), exact=run_id is not None)
        except OSError as err:
            raise TunedeckError(f"output_dir: cannot create a run folder under {out / 'runs'}: {err.strerror}. "
                                "Point output_dir at a folder you can write to.") from err
        try:
            cmd = build_command(cfg, run_dir, preset_path=preset_path)
            atomic_write_text(run_dir / folder.PRESET_FILE, resolved.text)
            atomic_write_text(run_dir / folder.COMMAND_FILE, format_command(cmd) + "\n")
            folder.update_state(
                run_dir, run_id=run_dir.name, status="starting", pid=None, pgid=None, started_at=time.time(),
                ended_at=None, preset=str(preset_path.absolute()), overrides=list(overrides), output_dir=str(out),
                num_processes=num_processes(cfg), cwd=os.getcwd(), marker=str(run_dir),
                host=socket.gethostname(), machine_rank=cfg.machine_rank if cfg.num_nodes > 1 else 0,
                resumed_from=str(plan.resume_from) if plan.resume_from else None,
                resumed_from_step=plan.resume_step,
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
    return RunHandle(run_dir.name, run_dir, proc.pid, plan)


def resume_run(run_dir: str | os.PathLike[str], *, overwrite: bool = False) -> RunHandle:
    """Launch a stopped or failed run again from its newest complete checkpoint (its preset, overrides, folder)."""
    state = folder.read_state(run_dir)
    preset = state.get("preset")
    if not preset or not Path(preset).is_file():
        raise TunedeckError(f"run {Path(run_dir).name}: its preset {preset or '(not recorded)'} is gone, so it "
                            "cannot be relaunched. Train its copy instead: "
                            f"`tunedeck train {Path(run_dir) / folder.PRESET_FILE}`.")
    out = state.get("output_dir")
    request = StartRequest(overwrite=overwrite, must_resume=True, output_dir=Path(out) if out else None)
    return launch(preset, state.get("overrides") or [], start=request)


@contextmanager
def _output_lock(output_dir: Path) -> Iterator[None]:
    """An exclusive lock per configured output_dir, held while a launch decides and claims its folder."""
    import fcntl
    import hashlib

    from engine.runs.index import tunedeck_home

    locks = tunedeck_home() / "locks"
    try:
        locks.mkdir(parents=True, exist_ok=True)
        fh = open(locks / (hashlib.sha1(str(output_dir).encode()).hexdigest()[:16] + ".lock"), "a")  # noqa: SIM115  (closed by the with below; opened here so an OSError gets its own message)
    except OSError as err:
        raise TunedeckError(f"Cannot write the launch lock in {locks}: {err.strerror}. Set TUNEDECK_HOME to a "
                            "folder you can write to.") from err
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


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
