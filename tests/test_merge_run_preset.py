"""`tunedeck merge` reads a run's preset as every preset is read: a tagged or unknown key is kept, not a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.runs import folder
from engine.train.merge import find_adapter

REPO = Path(__file__).resolve().parent.parent


def run_folder(tmp_path: Path, output_dir: Path) -> Path:
    run_dir = tmp_path / "runs" / "20260101-000000-tagged"
    run_dir.mkdir(parents=True)
    (run_dir / folder.PRESET_FILE).write_text(
        "base_model: ./presets/tiny/model\nsome_key: !custom 3\nother: !!python/name:os.system ''\n"
        f"output_dir: {output_dir}\ntrust_remote_code: false\n", encoding="utf-8")
    return run_dir


def test_a_run_whose_preset_has_a_tagged_key_finds_its_adapter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "adapter_config.json").write_text('{"base_model_name_or_path": "x"}', encoding="utf-8")
    adapter_dir, preset = find_adapter(run_folder(tmp_path, out))
    assert adapter_dir == out.resolve()
    assert preset == {"output_dir": str(out), "trust_remote_code": False}


def test_merge_of_such_a_run_without_an_adapter_says_so(tmp_path: Path) -> None:
    run_dir = run_folder(tmp_path, tmp_path / "missing")
    done = subprocess.run([sys.executable, "-m", "engine", "merge", str(run_dir)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "no LoRA adapter in" in done.stdout + done.stderr
