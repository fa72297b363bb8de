"""Ask the engine about the data, in a subprocess: row/token counts and rendered examples.

The TUI never imports the tokenizer stack; it writes the data-shaping part of the preset to a temp file (local
paths made absolute, so they resolve as they would beside the preset) and runs
``python -m engine.cli preview TMP -n N [--dataset I] --json``. Results are cached per preset text and the
data files' modification times.

Each kind of request (the count, the preview of dataset I) has at most one subprocess alive: a new request kills
the one before it, whose caller gets a cancelled result. The subprocess runs offline (HF_HUB_OFFLINE): counting
never downloads a model, and a Hub id missing from the cache is reported at once. It gets --trust-remote-code
only when the caller passes the user's consent.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.knobs.registry import data_shaping_keys, dataset_knobs, get_knob, path_knobs
from engine.paths import resolve_path

# The knobs that decide which rows and tokens the data has (everything else cannot change the counts).
DATA_KNOBS = frozenset(data_shaping_keys())
# The lists of dataset entries (training, then evaluation), whose paths resolve beside the preset.
ENTRY_LISTS = ("datasets", "test_datasets")
TIMEOUT_S = 300
KILL_WAIT_S = 2.0  # a SIGKILLed preview is gone well within this


@dataclass
class PreviewResult:
    stats: dict[str, Any] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None  # {"message", "file", "line", "key"}
    cancelled: bool = False  # a newer request of the same kind replaced this one

    def error_text(self) -> str:
        if not self.error:
            return ""
        e = self.error
        where = ", ".join(x for x in (
            f"{e.get('file')}:{e.get('line')}" if e.get("file") and e.get("line") else e.get("file") or "",
            f"key '{e['key']}'" if e.get("key") else "",
        ) if x)
        return f"{where}: {e.get('message', '')}" if where else str(e.get("message", ""))


def data_subset(plain: dict[str, Any], preset_path: Path | None) -> dict[str, Any]:
    """The data-shaping knobs of a plain preset dict, with local paths made absolute."""
    out = {k: v for k, v in plain.items() if k in DATA_KNOBS}
    _absolute_paths(out, [k.key for k in path_knobs()], preset_path)
    out["dataset_prepared_path"] = str(prepared_folder(plain, preset_path))
    entry_paths = [k.key for k in dataset_knobs() if k.path_kind is not None]
    for key in ENTRY_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_absolute_paths(dict(e), entry_paths, preset_path) if isinstance(e, dict) else e
                        for e in out[key]]
    return out


def prepared_folder(plain: dict[str, Any], preset_path: Path | None) -> Path:
    """Where a run of the preset keeps its tokenized data (engine.data.cache.prepared_root), absolute. The preview
    reads a copy of the data knobs in a temp folder; without this it would cache beside the default output_dir, in
    whatever folder the TUI was started from."""
    from types import SimpleNamespace

    from engine.data.cache import prepared_root

    default = get_knob("output_dir")
    knobs = SimpleNamespace(dataset_prepared_path=plain.get("dataset_prepared_path") or None,
                            output_dir=plain.get("output_dir") or (default.default if default else "."))
    return prepared_root(knobs, preset_path).absolute()


def _absolute_paths(mapping: dict[str, Any], keys: list[str], preset_path: Path | None) -> dict[str, Any]:
    """``mapping`` with the local paths under ``keys`` made absolute (Hub ids and missing paths left as written)."""
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            found = resolve_path(value, preset_path)
            if found.exists():
                mapping[key] = str(found.resolve())
    return mapping


def cache_key(subset: dict[str, Any], extra: str = "") -> str:
    mtimes = []
    for entry in [e for key in ENTRY_LISTS for e in subset.get(key) or []]:
        path = entry.get("path") if isinstance(entry, dict) else None
        if isinstance(path, str) and os.path.exists(path):
            mtimes.append(os.stat(path).st_mtime_ns)
    return json.dumps([subset, mtimes, extra], sort_keys=True, default=str)


_cache: dict[str, PreviewResult] = {}
_live: dict[str, subprocess.Popen[str]] = {}  # the one running subprocess of each kind of request
_live_lock = threading.Lock()


def run_preview(subset: dict[str, Any], *, n: int = 0, dataset: int | None = None,
                trust_remote_code: bool = False) -> PreviewResult:
    """Run the engine's preview command on ``subset`` (cached); never raises for bad data.

    Blocks until the subprocess ends; call it from a worker thread. ``trust_remote_code``: the user allowed the
    model repository's code to run (without it a preset with trust_remote_code: true gets an error result)."""
    key = cache_key(subset, f"{n}/{dataset}/{trust_remote_code}")
    if key in _cache:
        return _cache[key]
    from ruamel.yaml import YAML

    with tempfile.TemporaryDirectory(prefix="tunedeck-preview-") as tmp:
        path = Path(tmp) / "preset.yaml"
        with path.open("w") as handle:
            YAML(typ="safe", pure=True).dump(subset, handle)
        cmd = [sys.executable, "-m", "engine.cli", "preview", str(path), "-n", str(n), "--json"]
        if dataset is not None:
            cmd += ["--dataset", str(dataset)]
        if trust_remote_code:
            cmd.append("--trust-remote-code")
        kind = "count" if dataset is None else f"dataset-{dataset}"
        returncode, stdout, stderr = _run_alone(kind, cmd)
    if returncode is None:
        return PreviewResult(error={"message": f"preview took longer than {TIMEOUT_S} s"})
    if returncode < 0:
        return PreviewResult(cancelled=True)
    result = _parse(stdout, stderr, returncode)
    if result.error is None or returncode == 2:  # data errors are stable until the files change
        _cache[key] = result
    return result


def _run_alone(kind: str, cmd: list[str]) -> tuple[int | None, str, str]:
    """Run ``cmd`` as the only live subprocess of ``kind``: the previous one is killed first. (returncode, stdout,
    stderr); returncode is negative when a newer request killed this one, None after TIMEOUT_S."""
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    with _live_lock:
        # The one it replaces is gone before this one starts (SIGKILL is delivered asynchronously: under load a
        # killed preview could otherwise still be running beside its successor).
        _kill(_live.pop(kind, None), wait=True)
        # Its own session: killing the group also ends any workers it started.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        _live[kind] = proc
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _kill(proc)
        stdout, stderr = proc.communicate()
        returncode = None
    with _live_lock:
        if _live.get(kind) is proc:
            del _live[kind]
    return returncode, stdout, stderr


def _kill(proc: subprocess.Popen[str] | None, *, wait: bool = False) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    if wait:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=KILL_WAIT_S)


def stop_all() -> None:
    """Kill every running preview subprocess (the editor is closing)."""
    with _live_lock:
        for proc in _live.values():
            _kill(proc)
        _live.clear()


def _parse(stdout: str, stderr: str, returncode: int) -> PreviewResult:
    try:
        data = json.loads(stdout.strip().splitlines()[-1] if stdout.strip() else "")
    except (json.JSONDecodeError, IndexError):
        message = (stderr.strip().splitlines() or [f"preview exited with {returncode}"])[-1]
        return PreviewResult(error={"message": message})
    if not isinstance(data, dict):
        return PreviewResult(error={"message": "preview printed something unexpected"})
    if "error" in data:
        err = data["error"]
        return PreviewResult(error=err if isinstance(err, dict) else {"message": str(err)})
    return PreviewResult(stats=data.get("stats") or {}, examples=data.get("examples") or [])


def stat(stats: dict[str, Any], *names: str) -> int | None:
    """The first of ``names`` present in the stats as a number."""
    for name in names:
        value = stats.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None
