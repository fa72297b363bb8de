"""A preset opened from the values remembered from an earlier parse of the same text (issue 16: the editor's first
frame without ruamel). Reading gives what a parse gives; the document is parsed when first needed; nothing the
cache does can change what a file reads as, lose an edit, or stop a preset from opening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.preset import document as document_module
from engine.preset import load_preset, values_cache

PRESET = """\
# the demo, shortened
base_model: presets/tiny/model   # a local folder
sequence_len: 256
learning_rate: 2.0e-4
lora_target_modules: [q_proj, v_proj]
datasets:
  - path: presets/tiny/chat.jsonl
    type: chat_template
    roles:
      assistant: [gpt, model]
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every parse of a preset's text, as the file names it."""
    from engine.preset import yamlio

    seen: list[str] = []
    real = yamlio.parse

    def counted(text: str, file: str | None = None) -> object:
        seen.append(file or "<text>")
        return real(text, file)

    monkeypatch.setattr(yamlio, "parse", counted)
    return seen


def write(tmp_path: Path, text: str = PRESET, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def entries(home: Path) -> list[Path]:
    folder = home / "cache" / "preset-values"
    return sorted(folder.iterdir()) if folder.exists() else []


KEYS = ["base_model", "sequence_len", "learning_rate", "lora_target_modules", "datasets", "datasets.0",
        "datasets.0.type", "datasets.0.roles", "lora_r", "datasets.1.path", "datasets.0.nope"]


def test_a_second_open_reads_the_remembered_values_without_parsing(tmp_path: Path, home: Path,
                                                                    parses: list[str]) -> None:
    path = write(tmp_path)
    first = load_preset(path, remembered=True)
    assert len(parses) == 1 and len(entries(home)) == 1
    second = load_preset(path, remembered=True)
    assert len(parses) == 1  # not parsed again
    assert [second.get(k, "unset") for k in KEYS] == [first.get(k, "unset") for k in KEYS]
    assert second.get("learning_rate") == 2.0e-4 and second.get("datasets.0.roles") == {"assistant": ["gpt", "model"]}
    assert second.plain() == first.plain()
    assert second.to_yaml() == PRESET  # an unedited preset is its file, byte for byte
    assert len(parses) == 1


def test_an_edit_parses_the_document_and_keeps_the_file(tmp_path: Path, home: Path, parses: list[str]) -> None:
    path = write(tmp_path)
    load_preset(path, remembered=True)
    preset = load_preset(path, remembered=True)
    preset.set("sequence_len", 512)
    assert len(parses) == 2  # the document, for the edit
    assert preset.to_yaml() == PRESET.replace("sequence_len: 256", "sequence_len: 512")
    assert preset.get("sequence_len") == 512
    preset.save()
    assert path.read_text() == PRESET.replace("sequence_len: 256", "sequence_len: 512")
    assert not preset.values_were_stale


def test_checks_on_remembered_values_match_a_parse(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, PRESET.replace("sequence_len: 256", "sequence_len: -3"))
    load_preset(path, remembered=True)
    remembered = load_preset(path, remembered=True)
    fresh = load_preset(path)
    assert [(p.key, p.line, p.message) for p in remembered.problems] == [
        (p.key, p.line, p.message) for p in fresh.problems]
    assert any(p.key == "sequence_len" and p.line == 3 for p in remembered.errors)


def test_other_text_is_a_miss(tmp_path: Path, home: Path, parses: list[str]) -> None:
    path = write(tmp_path)
    load_preset(path, remembered=True)
    path.write_text(PRESET.replace("256", "1024"))
    assert load_preset(path, remembered=True).get("sequence_len") == 1024
    assert len(parses) == 2 and len(entries(home)) == 2


def test_without_remembered_nothing_is_read_or_written(tmp_path: Path, home: Path) -> None:
    """`validate`, `train` and the rest parse every time: only the editor's first frame uses the cache."""
    load_preset(write(tmp_path))
    assert entries(home) == []


def test_values_that_differ_from_the_parse_are_forgotten_and_said(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path)
    load_preset(path, remembered=True)
    [entry] = entries(home)
    stored = json.loads(entry.read_text())
    stored["values"]["sequence_len"] = 99
    entry.write_text(json.dumps(stored))
    preset = load_preset(path, remembered=True)
    assert preset.get("sequence_len") == 99  # what was remembered, until the parse
    preset.parse()
    assert preset.values_were_stale and preset.get("sequence_len") == 256
    assert entries(home) == []


@pytest.mark.parametrize("text", [
    "base_model: m\nwhen: 2024-01-01\n",  # a date: JSON has none
    "base_model: m\n1: one\n",  # a number as a key: JSON makes it text
    "base_model: m\nlearning_rate: .nan\n",
])
def test_what_json_cannot_give_back_is_not_remembered(tmp_path: Path, home: Path, parses: list[str],
                                                      text: str) -> None:
    path = write(tmp_path, text)
    load_preset(path, remembered=True)
    again = load_preset(path, remembered=True)
    assert entries(home) == [] and len(parses) == 2
    assert again.get("base_model") == "m"


def test_a_file_that_is_not_a_mapping_is_refused_as_before(tmp_path: Path, home: Path) -> None:
    from engine.errors import TunedeckError

    path = write(tmp_path, "- a list\n- not a preset\n")
    for _ in range(2):
        with pytest.raises(TunedeckError, match=r"p\.yaml"):
            load_preset(path, remembered=True).require_mapping()
    assert entries(home) == []


def test_a_file_of_only_comments(tmp_path: Path, home: Path, parses: list[str]) -> None:
    path = write(tmp_path, "# nothing yet\n")
    load_preset(path, remembered=True)
    preset = load_preset(path, remembered=True)
    assert len(parses) == 1 and preset.get("base_model") is None and preset.plain() == {}
    preset.require_mapping()
    preset.set("base_model", "presets/tiny/model")
    assert "base_model: presets/tiny/model" in preset.to_yaml()


def test_a_damaged_entry_is_ignored(tmp_path: Path, home: Path, parses: list[str]) -> None:
    path = write(tmp_path)
    load_preset(path, remembered=True)
    [entry] = entries(home)
    for damage in ("{not json", json.dumps({"format": 1, "values": [1, 2]}), json.dumps(["x"]), ""):
        entry.write_text(damage)
        assert load_preset(path, remembered=True).get("sequence_len") == 256
    assert len(parses) == 5


def test_a_home_that_cannot_be_written_still_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TUNEDECK_HOME", str(blocker / "home"))
    path = write(tmp_path)
    assert load_preset(path, remembered=True).get("sequence_len") == 256
    assert load_preset(path, remembered=True).get("sequence_len") == 256


def test_the_parser_is_part_of_the_key(tmp_path: Path, home: Path, parses: list[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A new tunedeck (its reading code) or a new ruamel may read a text differently: a miss."""
    path = write(tmp_path)
    load_preset(path, remembered=True)
    monkeypatch.setattr(values_cache, "_parser_stamp", lambda: "another parser")
    load_preset(path, remembered=True)
    assert len(parses) == 2


def test_the_folder_keeps_the_newest_entries(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values_cache, "MAX_ENTRIES", 3)
    for n in range(6):
        load_preset(write(tmp_path, PRESET.replace("256", str(256 + n))), remembered=True)
    assert len(entries(home)) == 3
    assert document_module.load_preset(tmp_path / "p.yaml", remembered=True).get("sequence_len") == 261
