"""Key order and comments survive every normal edit: empty a field and retype it, remove a key, add a new one."""

from __future__ import annotations

import pytest
from _preset_helpers import COMMENTED, write
from _tui_editor_helpers import REPO

from engine.preset import load_preset

DEMO = REPO / "presets" / "tiny-cpu-demo.yaml"


def _keys(path) -> list[str]:
    """Every key a field of the editor edits (the datasets list itself is edited entry by entry)."""
    preset = load_preset(path)
    top = [str(k) for k in preset.doc if k != "datasets"]
    in_datasets = [f"datasets.{i}.{k}" for i, entry in enumerate(preset.doc.get("datasets") or [])
                   if isinstance(entry, dict) for k in entry]
    return top + in_datasets


def _comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize("source", [DEMO, None], ids=["demo", "commented"])
def test_emptying_a_value_and_typing_it_again_keeps_the_file(tmp_path, source) -> None:
    """The editor unsets a key when its field is emptied and sets it again when a value is typed."""
    path = write(tmp_path, DEMO.read_text() if source else COMMENTED)
    original = path.read_text()
    for key in _keys(path):
        preset = load_preset(path)
        value = preset.get(key)
        preset.unset(key)
        preset.set(key, value)
        assert preset.to_yaml() == original, f"{key}: emptied and retyped, the file changed"


@pytest.mark.parametrize("source", [DEMO, None], ids=["demo", "commented"])
def test_removing_a_key_keeps_every_other_comment(tmp_path, source) -> None:
    path = write(tmp_path, DEMO.read_text() if source else COMMENTED)
    original = path.read_text()
    for key in _keys(path):
        preset = load_preset(path)
        own = [line for line in original.splitlines() if line.lstrip().startswith(key.rsplit(".", 1)[-1] + ":")
               or line.lstrip().startswith("- " + key.rsplit(".", 1)[-1] + ":")]
        own_comments = {line.split("#", 1)[1].strip() for line in own if "#" in line}
        preset.unset(key)
        kept = _comment_lines(preset.to_yaml())
        wanted = [c for c in _comment_lines(original) if c[1:].strip() not in own_comments]
        assert kept == wanted, f"{key}: removing it lost or moved comments"


def test_new_key_of_the_first_section_goes_to_the_top(tmp_path) -> None:
    text = COMMENTED.replace('base_model: "./presets/tiny/model"   # where the weights are\n', "")
    preset = load_preset(write(tmp_path, text))
    preset.set("base_model", "x/y")
    out = preset.to_yaml().splitlines()
    assert out[:4] == ["# My fine-tune", "# (header comment kept)", "base_model: x/y", "model_revision: 'main'"]


def test_new_dataset_key_goes_into_its_entry_above_the_next_comment(tmp_path) -> None:
    preset = load_preset(write(tmp_path, DEMO.read_text()))
    preset.set("datasets.0.split", "train")
    out = preset.to_yaml()
    assert "    train_on_eos: turn\n    split: train\n# The demo tokenizer ships" in out
