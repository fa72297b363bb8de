"""The tokenized-data cache: one folder per key under dataset_prepared_path.

Default location: ``last_run_prepared`` beside output_dir (``<output_dir>/../last_run_prepared``), relative paths
taken from the working directory like Axolotl's. The key hashes everything that changes the result: tunedeck's
data-format version, the tokenizer fingerprint, each dataset's settings, content hash and chat template text,
and the top-level data settings. A stale entry therefore has another key and is never reused. An entry is
built in a hidden temp folder and renamed into place, so a crash never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from engine.paths import resolve_path

FORMAT_VERSION = 1  # bump when the tokenization or the stored layout changes
KEEP = 3  # entries kept per prepared folder (newest first)


def prepared_root(cfg: Any, preset_path: str | os.PathLike[str] | None) -> Path:
    if cfg.dataset_prepared_path:
        return resolve_path(cfg.dataset_prepared_path, preset_path)
    return resolve_path(cfg.output_dir, preset_path).parent / "last_run_prepared"


def token_settings(cfg: Any) -> dict[str, Any]:
    """The knobs besides the data and the model that shape the tokens (part of every cache key)."""
    from engine.knobs.registry import top_level_knobs

    return {k.key: getattr(cfg, k.key) for k in top_level_knobs()
            if k.shapes_data and k.path_kind is None and k.key != "datasets"}


def cache_key(parts: dict[str, Any]) -> str:
    blob = json.dumps({"format": FORMAT_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def entry_path(root: Path, key: str) -> Path:
    return root / key


def load_entry(root: Path, key: str) -> dict[str, Any] | None:
    """{'rows', 'train', 'eval', 'stats'} from a complete entry, or None."""
    path = entry_path(root, key)
    if not (path / "stats.json").is_file():
        return None
    import datasets

    try:
        out: dict[str, Any] = {"stats": json.loads((path / "stats.json").read_text())}
        for name in ("rows", "train", "eval"):
            out[name] = datasets.load_from_disk(str(path / name)) if (path / name).is_dir() else None
    except Exception:
        return None  # unreadable entry: rebuild it
    os.utime(path)
    return out


def save_entry(root: Path, key: str, splits: dict[str, Any], stats: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        for name, ds in splits.items():
            if ds is not None:
                ds.save_to_disk(str(tmp / name))
        (tmp / "stats.json").write_text(json.dumps(stats, indent=1))
        final = entry_path(root, key)
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process (e.g. a second training rank) finished the same entry first: entries only appear
            # complete (by rename), so keep theirs.
            if not (final / "stats.json").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(root, keep=final)
    return final


def _prune(root: Path, keep: Path) -> None:
    """Drop old entries beyond the newest KEEP, never the one just written."""
    entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and (p / "stats.json").exists()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
