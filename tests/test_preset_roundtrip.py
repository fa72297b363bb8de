"""Round trip: a load → save keeps the file byte for byte; an edit changes only its own line."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

import pytest
from _preset_helpers import COMMENTED, write
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TunedeckError
from engine.preset import load_preset


def changed_lines(before: str, after: str) -> list[str]:
    return [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]


def test_load_save_without_edit_is_byte_for_byte(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.save(draft=True)
    assert path.read_bytes() == COMMENTED.encode()
    assert preset.to_yaml() == COMMENTED


@pytest.mark.parametrize("text", [
    "a_key: 1\nlist:\n  - x\n  - y\nmap:\n    deep: 1\n",  # 4-space maps, offset-2 lists
    "base_model: m\nlora_target_modules:\n- q\n- v\n",  # offset-0 lists
    "# only a comment\nbase_model: m\n\n\n# trailing comment\n",
    "base_model: m",  # no final newline
    "---\nbase_model: m\n...\n",
])
def test_other_layouts_survive_an_untouched_save(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    load_preset(path).save(draft=True)
    assert path.read_text() == text


def test_editing_a_value_changes_only_that_line_and_keeps_its_comment(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("micro_batch_size", 4)
    preset.save()
    after = path.read_text()
    assert changed_lines(COMMENTED, after) == [
        "- micro_batch_size: 2     # per device",
        "+ micro_batch_size: 4     # per device",
    ]


def test_editing_keeps_quoting_and_alias_spelling(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.set("base_model", "./other")
    preset.set("revision_of_model", "v2")  # the file says model_revision: that spelling stays
    out = preset.to_yaml()
    assert 'base_model: "./other"' in out
    assert "model_revision: 'v2'" in out
    assert "revision_of_model" not in out
    assert preset.get("revision_of_model") == "v2"


def test_edit_inside_a_dataset_and_a_list(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.set("datasets.1.type", "chat_template")
    preset.set("lora_target_modules", ["q_proj", "k_proj", "v_proj"])
    # lines outside the two edits are untouched, including the odd "output_dir:    ./out"
    assert changed_lines(COMMENTED, preset.to_yaml()) == [
        "-     type: completion", "+     type: chat_template", "+   - k_proj",
    ]


def test_mixed_list_indentation_keeps_each_lists_own_style(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    text = COMMENTED.replace("  - q_proj\n  - v_proj\n", "- q_proj\n- v_proj\n")
    preset = load_preset(write(tmp_path, text))
    preset.set("lora_target_modules", ["q_proj", "k_proj", "v_proj"])
    assert changed_lines(text, preset.to_yaml()) == ["+ - k_proj"]
    preset.set("datasets.1.type", "chat_template")  # the other list style in the same edit session
    preset.save()
    reread = load_preset(tmp_path / "preset.yaml")
    assert reread.get("lora_target_modules") == ["q_proj", "k_proj", "v_proj"]
    assert reread.get("datasets.1.type") == "chat_template"
    out = reread.to_yaml()
    for comment in ("# My fine-tune", "# the chat data", "# per device", "# kept for Axolotl", "# nobody knows"):
        assert comment in out
    expected = YAML(typ="safe").load(text)
    expected["lora_target_modules"] = ["q_proj", "k_proj", "v_proj"]
    expected["datasets"][1]["type"] = "chat_template"
    assert YAML(typ="safe").load(out) == expected


def test_unknown_and_axolotl_keys_survive_edits(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("lora_r", 16)
    preset.save()
    text = path.read_text()
    assert "lora_fan_in_fan_out: false" in text
    assert "my_own_note: hello   # nobody knows this one" in text


def test_new_key_is_added_and_unset_removes_it(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("weight_decay", 0.01)
    assert "weight_decay: 0.01" in preset.to_yaml()
    assert load_preset(path).get("weight_decay") is None  # not saved yet
    preset.save()
    assert load_preset(path).get("weight_decay") == 0.01
    preset.set("weight_decay", None)
    preset.save()
    assert path.read_text() == COMMENTED


def test_removing_a_key_keeps_the_next_sections_heading(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.unset("warmup_steps")  # the line before "# --- adapter ---"
    out = preset.to_yaml()
    assert "warmup_steps" not in out
    assert "# --- adapter ---" in out
    assert changed_lines(COMMENTED, out) == ["- warmup_steps: 2"]


def test_new_dataset_entry_at_next_index_only(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.set("datasets.2.path", "more.jsonl")
    assert preset.get("datasets.2.path") == "more.jsonl"
    with pytest.raises(TunedeckError, match=r"datasets\.3"):
        preset.set("datasets.4.path", "x.jsonl")


def test_save_is_atomic_when_the_replace_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("micro_batch_size", 8)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TunedeckError, match="could not save"):
        preset.save()
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preset.yaml"]  # no temp file left behind


def test_save_is_atomic_when_the_dump_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.preset.document as document

    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("micro_batch_size", 8)

    def broken_write(target: Path, text: str) -> None:
        real_write(target, text[: len(text) // 2])  # half written …
        raise RuntimeError("crash mid-write")

    real_write = document.atomic_write_text
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(RuntimeError("crash")))
    monkeypatch.setattr(document, "atomic_write_text", broken_write)
    with pytest.raises(RuntimeError):
        preset.save()
    assert path.read_text() == COMMENTED


def test_save_keeps_file_mode(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.chmod(0o640)
    preset = load_preset(path)
    preset.set("micro_batch_size", 3)
    preset.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_save_refuses_invalid_preset_unless_draft(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    preset.set("micro_batch_size", "four")  # kept as typed, reported as an error
    assert not preset.ok
    with pytest.raises(TunedeckError) as err:
        preset.save()
    assert "micro_batch_size" in str(err.value) and "draft" in str(err.value)
    assert path.read_text() == COMMENTED
    preset.save(draft=True)
    assert "micro_batch_size: four" in path.read_text()
    assert not load_preset(path).ok


def test_save_as_other_path(tmp_path: Path) -> None:
    src = write(tmp_path)
    preset = load_preset(src)
    preset.set("num_epochs", 1)
    target = preset.save(tmp_path / "copy.yaml")
    assert target == tmp_path / "copy.yaml" and preset.path == target
    assert src.read_text() == COMMENTED
    assert load_preset(target).get("num_epochs") == 1


def test_new_key_goes_into_its_section_above_the_next_heading(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.set("weight_decay", 0.01)  # a schedule knob: after warmup_steps, before "# --- adapter ---"
    out = preset.to_yaml()
    assert "warmup_steps: 2\nweight_decay: 0.01\n\n# --- adapter ---\n" in out
    assert changed_lines(COMMENTED, out) == ["+ weight_decay: 0.01"]
    preset.set("val_set_size", 0.1)  # no evaluation keys in the file: after the latest earlier section
    assert changed_lines(COMMENTED, preset.to_yaml()) == ["+ weight_decay: 0.01", "+ val_set_size: 0.1"]


SCALAR_EDITS = {
    "micro_batch_size": st.integers(1, 64), "gradient_accumulation_steps": st.integers(1, 64),
    "sequence_len": st.integers(8, 4096), "num_epochs": st.integers(1, 10), "lora_r": st.integers(1, 128),
    "learning_rate": st.sampled_from([1e-5, 2e-5, 5e-5, 1e-4, 3e-4]), "warmup_steps": st.integers(0, 100),
    "lr_scheduler": st.sampled_from(["cosine", "linear", "constant"]), "output_dir": st.sampled_from(["./a", "b/c"]),
    "datasets.0.type": st.sampled_from(["chat_template", "completion"]),
}


@settings(max_examples=60, deadline=None)
@given(edits=st.dictionaries(st.sampled_from(sorted(SCALAR_EDITS)), st.just(None), min_size=1, max_size=4),
       data=st.data())
def test_scalar_edits_change_only_their_lines(edits: dict, data) -> None:  # type: ignore[no-untyped-def]
    from engine.preset import Preset

    preset = Preset(COMMENTED, "p.yaml")
    values = {key: data.draw(SCALAR_EDITS[key]) for key in edits}
    for key, value in values.items():
        preset.set(key, value)
    out = preset.to_yaml()
    before, after = COMMENTED.splitlines(), out.splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=False):
        if old != new:  # a changed line is one of the edited keys, its comment kept
            name = old.split(":")[0].strip().lstrip("- ")
            assert any(key.split(".")[-1] == name for key in values), (old, new)
            if "#" in old:
                assert new.endswith(old[old.index("#"):])
    for key, value in values.items():
        assert Preset(out, "p.yaml").get(key) == value


def test_windows_line_ends_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(COMMENTED.replace("\n", "\r\n").encode())
    preset = load_preset(path)
    assert preset.ok
    preset.save()
    assert path.read_bytes() == COMMENTED.replace("\n", "\r\n").encode()
    preset.set("micro_batch_size", 6)
    preset.save()
    expected = COMMENTED.replace("micro_batch_size: 2 ", "micro_batch_size: 6 ").replace("\n", "\r\n").encode()
    assert path.read_bytes() == expected


def test_flow_style_datasets_grow_in_flow_style(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path, "base_model: m\ndatasets: [{path: a.jsonl, type: completion}]\n"))
    preset.set("datasets.1.path", "b.jsonl")
    preset.set("datasets.1.type", "completion")
    assert preset.to_yaml() == (
        "base_model: m\ndatasets: [{path: a.jsonl, type: completion}, {path: b.jsonl, type: completion}]\n"
    )


def test_removing_a_dataset_entry(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.unset("datasets.0")
    assert preset.get("datasets.0.path") == "presets/tiny/facts.jsonl"
    assert preset.get("datasets.1") is None
    assert changed_lines(COMMENTED, preset.to_yaml()) == [
        "-   - path: presets/tiny/chat.jsonl   # the chat data", "-     type: chat_template",
        "-     roles_to_train: [assistant]",
    ]


def test_direct_document_edits_are_seen_after_mark_edited(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path))
    preset.doc["micro_batch_size"] = 0
    preset.mark_edited()
    assert "micro_batch_size: 0" in preset.to_yaml()
    assert any(p.key == "micro_batch_size" for p in preset.errors)
