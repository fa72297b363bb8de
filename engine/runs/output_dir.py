"""Where a new run of a preset goes, and whether it resumes: nothing a run wrote is lost or overwritten silently.

A preset's output_dir may already hold what earlier runs wrote. Before a launch, :func:`look` reads it
(``Existing``) and :func:`plan_start` decides (``StartPlan``) or refuses with what to do:

- a live run writes there: refused, naming that run (``--fresh`` goes elsewhere);
- a finished run's final model sits there: refused unless ``--overwrite`` (or ``--fresh``);
- checkpoints of this preset (the newest run there was launched from the same preset file): resume from the
  newest complete one (half-written ones are skipped, and said so);
- checkpoints of another preset (or of no run tunedeck knows): refused unless ``--overwrite``;
- ``--fresh``: a new folder ``<output_dir>-2`` (``-3`` …), never touching the old one.

After a ``--fresh`` run, the preset's runs live in ``<output_dir>-N``: the next launch looks in the folder of the
preset's newest run among ``output_dir`` and its ``-N`` siblings, so stop-and-relaunch resumes the right run.
Import-light (the TUI asks before launching): no torch here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError
from engine.runs import folder
from engine.runs.checkpoints import WEIGHT_FILES, Checkpoint, checkpoints, newest_complete

ACTIVE = ("starting", "running")
RUNS = "runs"


@dataclass(frozen=True)
class StartRequest:
    """What the user asked for. ``output_dir`` pins the folder (resuming one run), else the preset's is used."""

    fresh: bool = False  # start over in a new folder
    overwrite: bool = False  # write into output_dir even over a final model or another preset's checkpoints
    must_resume: bool = False  # refuse unless there is a checkpoint to resume from
    output_dir: Path | None = None


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    preset: str | None
    status: str
    started_at: float
    machine_rank: int


@dataclass(frozen=True)
class Existing:
    """What an output_dir holds, as far as a new run of ``preset`` is concerned."""

    output_dir: Path
    preset: Path
    runs: list[RunRecord] = field(default_factory=list)  # oldest first
    resumable: Checkpoint | None = None  # the newest complete checkpoint
    skipped: list[Checkpoint] = field(default_factory=list)  # incomplete checkpoints newer than it
    final_model: bool = False  # a finished run's weights or adapter at the top of output_dir

    @property
    def live(self) -> RunRecord | None:
        return next((r for r in reversed(self.runs) if r.status in ACTIVE), None)

    @property
    def owner(self) -> RunRecord | None:
        """The newest run here: its preset owns the checkpoints (None: no run tunedeck knows made them)."""
        return self.runs[-1] if self.runs else None

    @property
    def same_preset(self) -> bool:
        return self.owner is not None and _same_path(self.owner.preset, self.preset)

    @property
    def finished_run(self) -> RunRecord | None:
        return next((r for r in reversed(self.runs) if r.status == "finished"), None)

    @property
    def resumable_here(self) -> Checkpoint | None:
        """The checkpoint a plain launch of this preset would resume from."""
        return self.resumable if self.same_preset else None

    @property
    def in_the_way(self) -> bool:
        """Whether a plain launch would resume or refuse here (the editor asks first)."""
        return bool(self.live or self.final_model or self.resumable)

    @property
    def holds_results(self) -> bool:
        return bool(self.live or self.final_model or checkpoints(self.output_dir))

    def final_model_text(self) -> str:
        by = f" of run {self.finished_run.run_id}" if self.finished_run else ""
        return f"the final model{by}"

    def owner_text(self) -> str:
        owner = self.owner
        if owner is None:
            return "no run tunedeck knows of (no runs/ folder records one)"
        return f"run {owner.run_id} of {owner.preset or 'an unknown preset'}"


@dataclass(frozen=True)
class StartPlan:
    """Where the run writes, what it resumes from, and what that replaces or skips (for --dry-run and the TUI)."""

    output_dir: Path
    resume_from: Path | None = None  # set by tunedeck (the preset's own resume_from_checkpoint is left alone)
    resume_step: int | None = None
    skipped: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    moved_from: Path | None = None  # --fresh: the folder it left alone

    def lines(self) -> list[str]:
        """What the launch will do with output_dir, one fact per line."""
        out = [f"output_dir {self.output_dir}" + (f" (new folder; {self.moved_from} is left as it is)"
                                                  if self.moved_from else "")]
        if self.resume_from is not None:
            out.append(f"resuming from {self.resume_from.name} (step {self.resume_step})")
        out += [f"skipped {s}" for s in self.skipped]
        out += [f"overwrites {r}" for r in self.replaces] or ["overwrites nothing"]
        return out


# --- reading an output_dir ------------------------------------------------------------------------------------

def run_records(output_dir: Path) -> list[RunRecord]:
    """The runs under ``output_dir/runs``, oldest first, with their truthful status."""
    from engine.runs.control import run_status

    records = []
    for run_dir in (output_dir / RUNS).glob("*"):
        state = folder.read_state(run_dir)
        if not state:
            continue
        records.append(RunRecord(
            run_id=str(state.get("run_id") or run_dir.name), preset=state.get("preset"),
            status=run_status(run_dir), started_at=float(state.get("started_at") or 0),
            machine_rank=int(state.get("machine_rank") or 0),
        ))
    return sorted(records, key=lambda r: (r.started_at, r.run_id))


def has_final_model(output_dir: Path) -> bool:
    return any((output_dir / name).is_file() for name in WEIGHT_FILES)


def look(output_dir: Path, preset: Path, *, machine_rank: int = 0) -> Existing:
    """What ``output_dir`` holds. Runs of other machines of one multi-node job are not in the way of each other."""
    runs = [r for r in run_records(output_dir) if not (r.status in ACTIVE and r.machine_rank != machine_rank)]
    chosen, skipped = newest_complete(output_dir)
    return Existing(output_dir, preset, runs, chosen, skipped, has_final_model(output_dir))


def siblings(output_dir: Path) -> list[Path]:
    """output_dir and the ``<output_dir>-N`` folders --fresh made beside it, in order."""
    found = []
    for path in output_dir.parent.glob(f"{output_dir.name}-*"):
        suffix = path.name[len(output_dir.name) + 1:]
        if suffix.isdigit() and int(suffix) >= 2 and path.is_dir():
            found.append((int(suffix), path))
    return [output_dir, *(p for _, p in sorted(found))]


def current_folder(output_dir: Path, preset: Path) -> Path:
    """The folder of the preset's newest run among output_dir and its -N siblings (output_dir if none)."""
    best: tuple[float, Path] = (-1.0, output_dir)
    for candidate in siblings(output_dir):
        for run_dir in (candidate / RUNS).glob("*"):
            state = folder.read_state(run_dir)
            started = float(state.get("started_at") or 0)
            if _same_path(state.get("preset"), preset) and started > best[0]:
                best = (started, candidate)
    return best[1]


def fresh_folder(output_dir: Path, preset: Path, machine_rank: int = 0) -> Path:
    """The first of output_dir, output_dir-2, … that holds no results (no live run, model or checkpoint)."""
    n = 1
    while True:
        candidate = output_dir if n == 1 else output_dir.with_name(f"{output_dir.name}-{n}")
        if not candidate.exists() or not look(candidate, preset, machine_rank=machine_rank).holds_results:
            return candidate
        n += 1


# --- deciding -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LaunchQuestion:
    """What the editor asks before launching: what the folder holds, and where --fresh would go."""

    existing: Existing
    fresh_folder: Path


def question_before_launch(cfg: Any, preset_path: str | os.PathLike[str]) -> LaunchQuestion | None:
    """None when a plain launch would simply start; else what stands in its folder."""
    preset = Path(preset_path)
    configured = Path(os.path.expanduser(cfg.output_dir)).absolute()
    rank = _machine_rank(cfg)
    existing = look(current_folder(configured, preset), preset, machine_rank=rank)
    if not existing.in_the_way or (cfg.resume_from_checkpoint and not (existing.live or existing.final_model)):
        return None
    return LaunchQuestion(existing, fresh_folder(configured, preset, rank))


def plan_start(cfg: Any, preset_path: str | os.PathLike[str], request: StartRequest = StartRequest()) -> StartPlan:
    """Decide where the run goes and whether it resumes; TunedeckError (saying what to do) when it must not start."""
    preset = Path(preset_path)
    configured = Path(os.path.expanduser(cfg.output_dir)).absolute()
    rank = _machine_rank(cfg)
    if request.fresh:
        base = current_folder(configured, preset)
        target = fresh_folder(configured, preset, rank)
        return StartPlan(target, moved_from=base if target != base else None)
    out = request.output_dir.absolute() if request.output_dir else current_folder(configured, preset)
    existing = look(out, preset, machine_rank=rank)
    live = existing.live
    if live is not None:
        raise TunedeckError(
            f"output_dir {out}: run {live.run_id} is still {live.status} there, and two runs in one folder "
            f"overwrite each other's checkpoints. Wait for it, stop it (`tunedeck stop {live.run_id}`), or start "
            "this one in a new folder with --fresh."
        )
    replaces = []
    if existing.final_model:
        if not request.overwrite:
            raise TunedeckError(
                f"output_dir {out} holds {existing.final_model_text()}, which this run would overwrite. Start "
                f"over in a new folder with --fresh ({fresh_folder(configured, preset, rank)}), or add --overwrite "
                "to replace it."
            )
        replaces.append(f"{existing.final_model_text()} in {out}")
    skipped = tuple(c.why_skipped() for c in existing.skipped)
    if cfg.resume_from_checkpoint:  # the preset names its checkpoint: the trainer checks and uses it
        return StartPlan(out, skipped=(), replaces=tuple(replaces))
    resumable = existing.resumable
    if resumable is not None and not existing.same_preset:
        if not request.overwrite:
            raise TunedeckError(
                f"output_dir {out} holds {resumable.name}, made by {existing.owner_text()}, not by {preset}. "
                "Starting over there would mix the two and let save_total_limit delete those checkpoints. Give "
                "this preset its own output_dir, start in a new folder with --fresh, set resume_from_checkpoint "
                f"to {resumable.path} to continue from it, or add --overwrite to train there from step 0."
            )
        replaces.append(f"the checkpoints in {out} (another preset's; save_total_limit may delete them)")
        resumable = None
    if resumable is None and request.must_resume:
        why = f"; skipped {', '.join(skipped)}" if skipped else ""
        raise TunedeckError(f"output_dir {out} holds no complete checkpoint to resume from{why}. Launch the "
                            "preset again to start over.")
    if resumable is None:
        return StartPlan(out, skipped=skipped, replaces=tuple(replaces))
    return StartPlan(out, resume_from=resumable.path, resume_step=resumable.step, skipped=skipped,
                     replaces=tuple(replaces))


def _machine_rank(cfg: Any) -> int:
    return int(cfg.machine_rank or 0) if int(cfg.num_nodes or 1) > 1 else 0


def _same_path(a: str | os.PathLike[str] | None, b: str | os.PathLike[str] | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False
