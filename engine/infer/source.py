"""Which weights a ``RUN|CHECKPOINT|MODEL`` argument means, and the run preset that goes with them.

A run (its id, 'last' or its folder) means its finished weights (the adapter or the full model); a run that has
not finished (running, stopped, failed) means its newest complete checkpoint, and says so. A folder with
adapter_config.json is an adapter, one with config.json a model; anything else is a clear error. A name that is
neither a folder nor a run is taken as a Hugging Face model id (loaded from the local cache when offline).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import TunedeckError
from engine.runs import folder


@dataclass(frozen=True)
class ModelSource:
    weights: str            # a folder (or a hub id) holding an adapter or a model, with its tokenizer files
    adapter: bool
    preset: Path | None     # the run's preset.yaml, when the weights come from a run
    note: str               # what was chosen, in words ("run X finished: its adapter in ...")


def resolve_source(arg: str) -> ModelSource:
    path = Path(arg).expanduser()
    if (path / folder.PRESET_FILE).is_file():
        return _from_run(path.resolve())
    if path.is_dir():
        return _from_folder(path.resolve(), None, f"{path.resolve()}")
    if path.exists():
        raise TunedeckError(f"{arg} is a file, not a model: give a run id, a run folder, a checkpoint-N folder, or "
                            "a model or adapter folder.")
    from engine.runs.control import resolve_run

    try:
        return _from_run(resolve_run(arg))
    except TunedeckError:
        if "/" in arg and not arg.startswith((".", "/", "~")):  # org/name: a hub model id
            return ModelSource(arg, adapter=False, preset=None, note=f"model {arg}")
        raise TunedeckError(f"{arg!r} is neither a run (id, its start, or 'last'), nor a folder, nor a hub model id "
                            "(org/name): `tunedeck runs` lists the runs.") from None


def _from_folder(path: Path, preset: Path | None, note: str) -> ModelSource:
    if (path / "adapter_config.json").is_file():
        return ModelSource(str(path), adapter=True, preset=preset, note=note)
    if (path / "config.json").is_file():
        return ModelSource(str(path), adapter=False, preset=preset, note=note)
    raise TunedeckError(f"{path} holds no model: neither adapter_config.json (a LoRA adapter) nor config.json (a "
                        "model) is there. Give a run, a checkpoint-N folder, or a model folder.")


def _from_run(run_dir: Path) -> ModelSource:
    preset = run_dir / folder.PRESET_FILE
    events = folder.read_events(run_dir)
    finished = [e for e in events if e.get("event") == "finished"]
    if finished:
        out = finished[-1].get("adapter_dir") or finished[-1].get("model_dir") or finished[-1].get("output_dir")
        if out and Path(out).is_dir():
            return _from_folder(Path(out), preset, f"run {run_dir.name} (finished): {out}")
    from engine.runs.checkpoints import missing_parts

    saved = [Path(e["path"]) for e in events if e.get("event") == "checkpoint" and e.get("path")]
    whole = [p for p in reversed(saved) if p.is_dir() and not missing_parts(p)]
    status = folder.read_state(run_dir).get("status", "unknown")
    if not whole:
        raise TunedeckError(
            f"run {run_dir.name} ({status}) has no checkpoint yet, so there is no trained model to load: wait for its "
            "first checkpoint (saves_per_epoch / save_steps set how often), or give another run.")
    latest = whole[0]
    return _from_folder(latest, preset, f"run {run_dir.name} is {status}: its latest checkpoint, {latest.name}")
