"""``tunedeck validate`` and ``tunedeck new`` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _preset_helpers import COMMENTED, line_of, write

from engine.cli import main
from engine.preset import load_preset
from tui.screens.open import shipped_presets

REPO = Path(__file__).resolve().parent.parent
TUNEDECK = [sys.executable, "-m", "tui.cli"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TUNEDECK, *args], capture_output=True, text=True, cwd=cwd or REPO, timeout=120)


def test_validate_valid_and_invalid_presets_in_a_subprocess(tmp_path: Path) -> None:
    good = write(tmp_path, name="good.yaml")
    bad_text = COMMENTED.replace("micro_batch_size: 2", "micro_batchsize: 2").replace("num_epochs: 3", "num_epochs: -1")
    bad = write(tmp_path, bad_text, name="bad.yaml")
    result = run_cli("validate", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{good}: kept but not used by tunedeck: lora_fan_in_fan_out" in result.stdout
    assert f"{good}: valid (1 warning)" in result.stdout  # my_own_note
    result = run_cli("validate", str(good), str(bad))
    assert result.returncode == 2
    out = result.stdout
    assert f"{bad}:{line_of(bad_text, 'micro_batchsize')}: micro_batchsize: unknown key 'micro_batchsize' — did you " \
           "mean 'micro_batch_size'?" in out
    assert f"{bad}:{line_of(bad_text, 'num_epochs')}: num_epochs: expected a number > 0 and ≤ 1000000, got -1." in out
    assert f"{bad}: invalid — 2 errors, 1 warning" in out
    assert "Traceback" not in result.stderr


def test_validate_with_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path)
    assert main(["validate", str(path), "--set", "micro_batch_size=0"]) == 2
    assert "--set 'micro_batch_size=0': micro_batch_size expects a whole number ≥ 1" in capsys.readouterr().out
    assert main(["validate", str(path), "--set", "micro_batch_size=4", "--set", "bf16=false"]) == 0
    assert main(["validate", str(path), "--set", "micro_batchsize=4"]) == 2
    out = capsys.readouterr().out
    assert "did you mean 'micro_batch_size'" in out


def test_validate_broken_yaml_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(tmp_path, "base_model: m\nlora_r: [1, 2\n", name="broken.yaml")
    assert main(["validate", str(broken), str(tmp_path / "missing.yaml")]) == 2
    out = capsys.readouterr().out
    assert f"{broken}:" in out and "not valid YAML" in out
    assert "no such preset file" in out


def test_validate_shipped_presets() -> None:
    presets = [str(p) for p in shipped_presets(REPO / "presets")]
    assert presets
    # The presets themselves; whether this machine can run one (its data, a GPU) is a separate question.
    assert main(["validate", "--anywhere", *presets]) == 0
    assert main(["validate", str(REPO / "presets" / "tiny-cpu-demo.yaml")]) == 0  # runs anywhere, CPU included


def test_new_copies_the_demo_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "mine.yaml"
    result = run_cli("new", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    demo = REPO / "presets" / "tiny-cpu-demo.yaml"
    preset = load_preset(out)
    assert preset.ok, [p.message for p in preset.errors]
    # paths still reach the bundled model and data from the new folder
    assert (out.parent / preset.get("base_model")).resolve() == (demo.parent / "tiny" / "model").resolve()
    assert Path(preset.get("datasets.0.path")).is_file() or (out.parent / preset.get("datasets.0.path")).is_file()
    # everything else is the demo, comments included, but for an output_dir of its own
    copied, original = out.read_text().splitlines(), demo.read_text().splitlines()
    assert len(copied) == len(original)
    assert sum(a != b for a, b in zip(copied, original, strict=False)) == 3
    assert preset.get("output_dir") == "./outputs/mine"

    out.write_text("mine\n")
    result = run_cli("new", str(out), cwd=tmp_path)
    assert result.returncode == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "mine\n"
    assert run_cli("new", str(out), "--force", cwd=tmp_path).returncode == 0
    assert load_preset(out).ok


def test_new_from_another_preset(tmp_path: Path) -> None:
    src = write(tmp_path)
    out = tmp_path / "copy.yaml"
    assert main(["new", str(out), "--from", str(src)]) == 0
    copied, original = out.read_text().splitlines(), COMMENTED.splitlines()
    assert [a for a in copied if not a.startswith("output_dir:")] == [
        b for b in original if not b.startswith("output_dir:")]
    assert load_preset(out).get("output_dir") == "./outputs/copy"  # its own, not the source's


def test_new_without_a_demo_writes_a_minimal_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.commands.new as new

    monkeypatch.setattr(new, "default_source", lambda: None)
    out = tmp_path / "minimal.yaml"
    assert main(["new", str(out)]) == 0
    preset = load_preset(out)
    assert preset.ok, [p.message for p in preset.errors]
    assert out.read_text().startswith("# A tunedeck preset")
