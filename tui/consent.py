"""Consent to run a model repository's code (trust_remote_code), asked once per preset and model.

Opening a preset someone sent must never run their code: with trust_remote_code on, the app loads neither the
model nor its tokenizer (counts, previews, launch) until the user allowed it for that preset and those models.
Consents are remembered in $TUNEDECK_HOME/remote-code-consent.jsonl, one appended line each (like the run
index); a preset not saved yet is remembered for this session only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.knobs.registry import path_knobs
from engine.runs.index import tunedeck_home

CONSENT_FILE = "remote-code-consent.jsonl"
# The knobs naming a repository whose code a load with trust_remote_code runs.
MODEL_KNOBS = tuple(k.key for k in path_knobs("model"))

_this_session: set[tuple[str | None, tuple[str, ...]]] = set()  # (preset, models): unsaved presets, unwritable file


def remote_code_models(plain: dict[str, Any]) -> tuple[str, ...]:
    """The models whose code loading ``plain`` would run: none unless trust_remote_code is true."""
    if plain.get("trust_remote_code") is not True:
        return ()
    return tuple(dict.fromkeys(v for k in MODEL_KNOBS if isinstance(v := plain.get(k), str) and v.strip()))


def _preset_key(preset_path: Path | None) -> str | None:
    return str(preset_path.resolve()) if preset_path is not None else None


def consented(preset_path: Path | None, models: tuple[str, ...]) -> bool:
    """True when no code would run, or the user allowed these models' code for this preset."""
    if not models:
        return True
    preset = _preset_key(preset_path)
    if (preset, models) in _this_session:
        return True
    if preset is None:
        return False
    try:
        lines = (tunedeck_home() / CONSENT_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("preset") == preset and tuple(record.get("models") or ()) == models:
            return True
    return False


def remember(preset_path: Path | None, models: tuple[str, ...]) -> None:
    """Record the user's consent (for this session at least, when the file cannot be written)."""
    preset = _preset_key(preset_path)
    _this_session.add((preset, models))
    if preset is None:
        return
    path = tunedeck_home() / CONSENT_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:  # one whole line per write, as the run index
            fh.write(json.dumps({"preset": preset, "models": list(models)}) + "\n")
    except OSError:
        pass
