"""bench/axolotl_examples.py, run as a user runs it: every YAML file under a folder judged, the refused ones named
with their first error, and the acceptance figure."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench" / "axolotl_examples.py"
SHAPES = REPO / "tests" / "fixtures" / "axolotl" / "shapes"


def _bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_it_counts_accepted_files_and_names_each_refused_one(tmp_path: Path) -> None:
    (tmp_path / "qwen2").mkdir()
    shutil.copy(SHAPES / "pretrain-c4-muon.yaml", tmp_path / "qwen2" / "muon.yaml")
    (tmp_path / "bad.yml").write_text("base_model: some/model\ndatasets:\n  - path: d.jsonl\n    type: completion\n"
                                      "optimizer: not_an_optimizer\n")
    (tmp_path / "broken.yaml").write_text("base_model: [unclosed\n")
    (tmp_path / "notes.txt").write_text("optimizer: muon\n")  # not YAML by its name: not counted

    done = _bench(str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "accepted 1 of 3 (33.3 %)"
    refused = dict(line.split(" :: ", 1) for line in lines[:-1])
    assert set(refused) == {"bad.yml", "broken.yaml"}
    assert refused["bad.yml"].startswith("optimizer: ")
    assert refused["broken.yaml"].startswith("(file): ")


def test_a_folder_that_is_not_there_is_said_plainly(tmp_path: Path) -> None:
    done = _bench(str(tmp_path / "missing"))
    assert done.returncode == 2 and "not a folder" in done.stderr and "Traceback" not in done.stderr
