"""Resolving paths written in a preset.

Axolotl resolves relative paths against the working directory, and so do we first. When that finds nothing
we try the preset's own folder, so a preset that sits beside its data works from anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def resolve_path(value: str, preset_path: str | os.PathLike[str] | None = None) -> Path:
    """The local path ``value`` names: against the CWD, else against the preset's folder; ``~`` expanded."""
    path = Path(os.path.expanduser(value))
    if path.is_absolute() or path.exists() or preset_path is None:
        return path
    beside = Path(preset_path).resolve().parent / path
    return beside if beside.exists() else path


def looks_local(value: str, preset_path: str | os.PathLike[str] | None = None) -> bool:
    """True when ``value`` names something on disk (or is written like a path), not a hub id."""
    if value.startswith((".", "/", "~")) or (os.sep in value and value.count("/") > 1):
        return True
    return resolve_path(value, preset_path).exists()


# Endings of files a preset names (data, weights, configs): "data/train.jsonl" is a path, never a hub id.
FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".txt", ".arrow", ".safetensors", ".bin", ".gguf", ".pt",
                 ".yaml", ".yml", ".jinja")


def written_as_path(value: str) -> bool:
    """True when ``value`` can only mean something on disk: ./, ../, /, ~, a nested folder, or a file ending.

    A hub id is ``name`` or ``user-or-org/name``, so one slash alone does not make a path.
    """
    return (value.startswith(("./", "../", "/", "~", ".\\", "..\\")) or value.count("/") > 1
            or (os.sep != "/" and os.sep in value) or Path(value).suffix.lower() in FILE_SUFFIXES)
