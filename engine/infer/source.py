"""Which weights a ``RUN|CHECKPOINT|MODEL`` argument means, and the run preset that goes with them.

A run (its id, 'last' or its folder) means its finished weights (the adapter or the full model); a run that has
not finished (running, stopped, failed) means its newest complete checkpoint, and says so. A folder with
adapter_config.json is an adapter, one with config.json a model; anything else is a clear error. A name that is
neither a folder nor a run is taken as a Hugging Face model id (loaded from the local cache when offline).

A reward model (a run with ``reward_model: true``, an adapter of task SEQ_CLS, a model whose architecture is a
...ForSequenceClassification) gives a conversation one score and writes no text: ``check_can_answer`` refuses it
with how to score with it instead, before anything heavy loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError
from engine.runs import folder


@dataclass(frozen=True)
class ModelSource:
    weights: str            # a folder (or a hub id) holding an adapter or a model, with its tokenizer files
    adapter: bool
    preset: Path | None     # the run's preset.yaml, when the weights come from a run
    note: str               # what was chosen, in words ("run X finished: its adapter in ...")
    reward_model: bool = False  # a score head: rates a conversation, writes no text


def check_can_answer(source: ModelSource) -> None:
    """Refuse a reward model, saying how to score with it: chat, generate and the TUI's chat need text."""
    if not source.reward_model:
        return
    weights = source.weights
    load = (f"AutoPeftModelForSequenceClassification.from_pretrained('{weights}', num_labels=1) (or `tunedeck merge` "
            "it into a standalone model first)" if source.adapter
            else f"AutoModelForSequenceClassification.from_pretrained('{weights}')")
    raise TunedeckError(
        f"{source.note} is a reward model (reward_model: true): its score head gives a whole conversation one "
        "number and writes no text, so it cannot chat or answer prompts. Score conversations with it instead: "
        f"load it with {load} and its tokenizer, then read model(**tokenizer.apply_chat_template(messages, "
        "return_dict=True, return_tensors='pt')).logits[0, 0] for each conversation (higher means preferred). To "
        "chat, give a run that trained without reward_model.")


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
            cached = _hub_cache_folder(arg)
            return ModelSource(arg, adapter=False, preset=None, note=f"model {arg}",
                               reward_model=cached is not None and _scores(cached))
        raise TunedeckError(f"{arg!r} is neither a run (id, its start, or 'last'), nor a folder, nor a hub model id "
                            "(org/name): `tunedeck runs` lists the runs.") from None


def _json(path: Path) -> dict[str, Any]:
    """A JSON file's object, or {} when it is damaged (loading it later says what is wrong)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _scores(path: Path) -> bool:
    """Whether the folder holds a sequence-classification model or adapter (a reward model's score head)."""
    if (path / "adapter_config.json").is_file():
        return _json(path / "adapter_config.json").get("task_type") == "SEQ_CLS"
    architectures = _json(path / "config.json").get("architectures")
    return isinstance(architectures, list) and any(str(a).endswith("ForSequenceClassification")
                                                   for a in architectures)


def _hub_cache_folder(repo_id: str) -> Path | None:
    """The local cache's snapshot folder of a hub model, when its config is there (nothing is downloaded: a model
    not cached is not checked here, and loading it says what is wrong)."""
    from huggingface_hub import try_to_load_from_cache

    for name in ("adapter_config.json", "config.json"):
        try:
            found = try_to_load_from_cache(repo_id, name)
        except ValueError:  # not a valid repo id
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None


def _from_folder(path: Path, preset: Path | None, note: str, reward_model: bool = False) -> ModelSource:
    reward_model = reward_model or _scores(path)
    if (path / "adapter_config.json").is_file():
        return ModelSource(str(path), adapter=True, preset=preset, note=note, reward_model=reward_model)
    if (path / "config.json").is_file():
        return ModelSource(str(path), adapter=False, preset=preset, note=note, reward_model=reward_model)
    raise TunedeckError(f"{path} holds no model: neither adapter_config.json (a LoRA adapter) nor config.json (a "
                        "model) is there. Give a run, a checkpoint-N folder, or a model folder.")


def _from_run(run_dir: Path) -> ModelSource:
    from engine.runs.model_kind import trains_reward_model

    preset = run_dir / folder.PRESET_FILE
    reward_model = trains_reward_model(run_dir)
    events = folder.read_events(run_dir)
    finished = [e for e in events if e.get("event") == "finished"]
    if finished:
        out = finished[-1].get("adapter_dir") or finished[-1].get("model_dir") or finished[-1].get("output_dir")
        if out and Path(out).is_dir():
            return _from_folder(Path(out), preset, f"run {run_dir.name} (finished): {out}", reward_model)
    from engine.runs.checkpoints import missing_parts

    saved = [Path(e["path"]) for e in events if e.get("event") == "checkpoint" and e.get("path")]
    whole = [p for p in reversed(saved) if p.is_dir() and not missing_parts(p)]
    status = folder.read_state(run_dir).get("status", "unknown")
    if not whole:
        raise TunedeckError(
            f"run {run_dir.name} ({status}) has no checkpoint yet, so there is no trained model to load: wait for its "
            "first checkpoint (saves_per_epoch / save_steps set how often), or give another run.")
    latest = whole[0]
    return _from_folder(latest, preset, f"run {run_dir.name} is {status}: its latest checkpoint, {latest.name}",
                        reward_model)
