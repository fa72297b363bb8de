"""The run index: an append-only ``runs.jsonl`` under $TUNEDECK_HOME (default ~/.local/state/tunedeck).

One line per launched run (its folder). Appending one whole line per write keeps concurrent launchers safe;
readers skip folders that no longer exist, so deleting a run folder needs no index maintenance.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

INDEX_FILE = "runs.jsonl"


def tunedeck_home() -> Path:
    home = os.environ.get("TUNEDECK_HOME")
    if home:
        return Path(home).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "tunedeck"


def index_path() -> Path:
    return tunedeck_home() / INDEX_FILE


def register_run(run_dir: str | os.PathLike[str]) -> None:
    path = index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"run_dir": str(Path(run_dir).absolute()), "registered_at": time.time()}) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)


def indexed_run_dirs() -> list[Path]:
    """Run folders in launch order, each once, only those that still exist."""
    try:
        lines = index_path().read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    seen: dict[str, None] = {}
    for line in lines:
        try:
            run_dir = json.loads(line)["run_dir"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
        seen.pop(run_dir, None)
        seen[run_dir] = None
    return [Path(d) for d in seen if Path(d).is_dir()]


def scan_run_dirs(root: str | os.PathLike[str]) -> list[Path]:
    """Run folders under ``root``: root itself, root/*/ or root/runs/*/ (an output_dir)."""
    root = Path(root)
    candidates = [root, *root.glob("*"), *root.glob("runs/*")]
    return sorted(p for p in candidates if (p / "state.json").is_file())
