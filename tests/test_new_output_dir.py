"""`tunedeck new` gives each preset an output_dir of its own (a copy keeping the demo's would resume, refuse or
overwrite the demo's runs), named after the new file; the app's New preset starts from the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.preset import load_preset

REPO = Path(__file__).resolve().parent.parent


def _new(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", "new", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_each_new_preset_gets_its_own_output_dir(tmp_path: Path) -> None:
    demo = load_preset(REPO / "presets" / "tiny-cpu-demo.yaml").get("output_dir")
    made = {}
    for name, extra in (("alpha.yaml", ()), ("beta run.yaml", ()),
                        ("gamma.yaml", ("--from", str(REPO / "presets" / "llama3-8b-qlora-chat.yaml")))):
        out = _new(tmp_path, name, *extra)
        assert out.returncode == 0, out.stderr
        made[name] = load_preset(tmp_path / name).get("output_dir")
        assert f"its runs go to output_dir {made[name]}" in " ".join(out.stdout.split())
    assert made == {"alpha.yaml": "./outputs/alpha", "beta run.yaml": "./outputs/beta-run",
                    "gamma.yaml": "./outputs/gamma"}
    assert demo not in made.values()
    text = (tmp_path / "alpha.yaml").read_text()
    assert text.index("output_dir:") > text.index("datasets:")  # set where the demo had it, comments kept


def test_the_apps_new_preset_does_not_share_the_demos_output_dir() -> None:
    from tui.state import new_preset

    demo = load_preset(REPO / "presets" / "tiny-cpu-demo.yaml").get("output_dir")
    assert new_preset().get("output_dir") not in (demo, None)
