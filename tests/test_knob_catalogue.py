"""The knob catalogue (engine/knobs/catalogue.json): the knobs' facts the editor reads at start-up without building
the pydantic models. It must say exactly what the models say, and a stale one must never be read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from engine.knobs import catalogue
from engine.knobs.registry import get_knob

REPO = catalogue.CATALOGUE.parents[2]


def test_the_committed_catalogue_is_current() -> None:
    assert catalogue.CATALOGUE.read_text(encoding="utf-8") == catalogue.render(), (
        "engine/knobs/catalogue.json is out of date: run `python -m engine.knobs.catalogue` and commit it")


def test_the_catalogue_says_what_the_models_say() -> None:
    """Every fact (section, texts, flags, default, kind, order) equals what the knob models declare."""
    assert catalogue.load() == catalogue.from_models()


def test_the_check_command_tells_a_stale_file(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "catalogue.json"
    stale.write_text(catalogue.CATALOGUE.read_text(encoding="utf-8").replace('"lora_r"', '"lora_rank"', 1))
    monkeypatch.setattr(catalogue, "CATALOGUE", stale)
    assert catalogue.main(["--check"]) == 1
    monkeypatch.setattr(catalogue, "CATALOGUE", tmp_path / "absent.json")
    assert catalogue.main(["--check"]) == 1


def _edited_copy(tmp_path, edit) -> object:
    data = json.loads(catalogue.CATALOGUE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data))
    return path


def _summary(data: dict, key: str, text: str) -> None:
    next(r for r in data["top_level"] if r["key"] == key)["summary"] = text


def test_a_current_catalogue_is_what_is_read(tmp_path, monkeypatch) -> None:
    """The file is really used while its sources are unchanged (else the start-up saving would be imaginary)."""
    path = _edited_copy(tmp_path, lambda d: _summary(d, "lora_r", "read from the file"))
    monkeypatch.setattr(catalogue, "CATALOGUE", path)
    top, _ = catalogue.load()
    assert next(k for k in top if k.key == "lora_r").summary == "read from the file"


@pytest.mark.parametrize("damage", ["sources changed", "other version", "not json", "missing"])
def test_a_stale_or_damaged_catalogue_is_never_read(tmp_path, monkeypatch, damage: str) -> None:
    """After a knob's source changes (its digest no longer matches), or when the file is damaged or gone, the facts
    come from the models."""
    def edit(data: dict) -> None:
        _summary(data, "lora_r", "stale text")
        if damage == "sources changed":
            data["digest"] = "0" * 64
        elif damage == "other version":
            data["version"] = 0

    path = _edited_copy(tmp_path, edit)
    if damage == "not json":
        path.write_text("{ not json")
    elif damage == "missing":
        path.unlink()
    monkeypatch.setattr(catalogue, "CATALOGUE", path)
    top, datasets = catalogue.load()
    assert (top, datasets) == catalogue.from_models()
    assert next(k for k in top if k.key == "lora_r").summary != "stale text"


def test_editing_a_knob_source_makes_the_catalogue_stale(tmp_path) -> None:
    """In a copy of the engine, changing one knob's summary changes the digest, so the old file is not read and
    `--check` fails until the catalogue is written again."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "engine", copy / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    source = copy / "engine" / "knobs" / "adapter.py"
    text = source.read_text(encoding="utf-8")
    old = get_knob("lora_r").summary
    assert old in text
    source.write_text(text.replace(old, "Rank of the LoRA matrices (edited)."), encoding="utf-8")
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from engine.knobs import catalogue, registry; "
             "print(registry.get_knob('lora_r').summary); sys.exit(catalogue.main(['--check']))")
    run = subprocess.run([sys.executable, "-c", probe, str(copy)], capture_output=True, text=True, cwd=copy,
                         timeout=120, check=False)
    assert run.stdout.splitlines()[0] == "Rank of the LoRA matrices (edited).", run.stderr
    assert run.returncode == 1 and "out of date" in run.stderr


def test_a_knob_read_from_the_catalogue_still_validates() -> None:
    """Its pydantic field (type and constraints) is found on first use."""
    from engine.knobs.types import refusal

    knob = get_knob("lora_r")
    assert knob is not None and knob.annotation is int
    assert refusal(knob, 0) is not None
    assert refusal(knob, 16) is None
    dataset_type = get_knob("datasets.type")
    assert dataset_type is not None and "chat_template" in dataset_type.kind.choices
