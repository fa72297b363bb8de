"""Validation: YAML errors with lines, unknown keys (typo / kept / stranger), types in our words, rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from _preset_helpers import COMMENTED, line_of, write

from engine.errors import TunedeckError
from engine.preset import Preset, load_config, load_preset


def by_key(preset: Preset) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in preset.problems:
        out.setdefault(p.key, []).append(p)
    return out


def test_commented_preset_is_valid_with_warnings(tmp_path: Path) -> None:
    path = write(tmp_path)
    preset = load_preset(path)
    assert preset.ok, [p.format() for p in preset.errors]
    assert preset.kept_keys == ["lora_fan_in_fan_out"]
    problems = by_key(preset)
    kept = problems["lora_fan_in_fan_out"][0]
    assert kept.severity == "warning" and "kept but not used by tunedeck" in kept.message
    assert kept.line == line_of(COMMENTED, "lora_fan_in_fan_out") and kept.file == str(path)
    stranger = problems["my_own_note"][0]
    assert stranger.severity == "warning" and "neither tunedeck nor Axolotl" in stranger.message
    cfg = preset.config
    assert cfg.revision_of_model == "main"  # alias normalised
    assert cfg.micro_batch_size == 2 and cfg.learning_rate == pytest.approx(2e-5)
    assert cfg.datasets[1].type == "completion"


def test_typo_is_an_error_with_did_you_mean_and_line(tmp_path: Path) -> None:
    text = COMMENTED.replace("micro_batch_size: 2", "micro_batchsize: 2")
    preset = load_preset(write(tmp_path, text))
    [problem] = by_key(preset)["micro_batchsize"]
    assert problem.severity == "error"
    assert "did you mean 'micro_batch_size'" in problem.message
    assert problem.line == line_of(text, "micro_batchsize")
    assert not preset.ok
    # the typo is still in the document, untouched
    assert "micro_batchsize: 2" in preset.to_yaml()


def test_typo_inside_a_dataset_gets_the_dataset_path_and_line(tmp_path: Path) -> None:
    text = COMMENTED.replace("    roles_to_train: [assistant]", "    roles_to_trian: [assistant]")
    preset = load_preset(write(tmp_path, text))
    [problem] = by_key(preset)["datasets.0.roles_to_trian"]
    assert "did you mean 'roles_to_train'" in problem.message
    assert problem.line == line_of(text, "roles_to_trian")


def test_axolotl_dataset_key_is_kept(tmp_path: Path) -> None:
    text = COMMENTED.replace("    type: completion\n", "    type: completion\n    shards: 4\n")
    preset = load_preset(write(tmp_path, text))
    assert "datasets.1.shards" in preset.kept_keys
    assert preset.ok
    preset.set("lora_r", 4)
    assert "    shards: 4" in preset.to_yaml()


def test_type_errors_are_in_our_words_with_lines(tmp_path: Path) -> None:
    text = (COMMENTED.replace("micro_batch_size: 2", "micro_batch_size: four")
            .replace("lr_scheduler: cosine", "lr_scheduler: cosyne")
            .replace("    type: completion", "    type: raw"))
    preset = load_preset(write(tmp_path, text))
    problems = by_key(preset)
    mbs = problems["micro_batch_size"][0]
    assert mbs.message.startswith("expected a whole number ≥ 1, got 'four'.")
    assert "Set it to a whole number such as" in mbs.message
    assert mbs.line == line_of(text, "micro_batch_size")
    sched = problems["lr_scheduler"][0]
    assert "one of: cosine, linear" in sched.message and "'cosyne'" in sched.message
    dtype = problems["datasets.1.type"][0]
    assert dtype.line == line_of(text, "type: raw")
    assert "completion, input_output, alpaca, alpaca:instruct, alpaca:chat, alpaca:chatml, alpaca:phi, " \
           "chat_template" in dtype.message
    for p in preset.errors:  # never pydantic's own wording
        assert "Input should be" not in p.message


def test_union_knob_error_is_one_problem(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path, COMMENTED + "bf16: maybe\n"))
    [problem] = by_key(preset)["bf16"]
    assert "auto or true or false" in problem.message and "'maybe'" in problem.message


def test_config_raises_every_error_each_on_its_own_line(tmp_path: Path) -> None:
    text = COMMENTED.replace("micro_batch_size: 2", "micro_batch_size: 0").replace("lr_scheduler", "lr_sheduler")
    path = write(tmp_path, text)
    with pytest.raises(TunedeckError) as err:
        _ = load_preset(path).config
    lines = str(err.value).splitlines()
    assert f"{path}:{line_of(text, 'micro_batch_size')}: micro_batch_size: expected" in "\n".join(lines)
    assert any(line.startswith(f"{path}:{line_of(text, 'lr_sheduler')}: lr_sheduler: unknown key") for line in lines)
    assert "tunedeck validate" in lines[-1]


def test_rules_problems_get_file_and_line(tmp_path: Path) -> None:
    text = COMMENTED.replace("adapter: lora\n", "")  # lora_* without an adapter: a rules warning
    preset = load_preset(write(tmp_path, text))
    rule_problems = [p for p in preset.problems if p.key.startswith("lora_")]
    assert rule_problems, [p.format() for p in preset.problems]
    assert rule_problems[0].line == line_of(text, rule_problems[0].key + ":")
    assert rule_problems[0].file == str(tmp_path / "preset.yaml")


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = "base_model: m\ndatasets:\n  - path: [unclosed\nlora_r: 8\n"
    path = write(tmp_path, text)
    with pytest.raises(TunedeckError) as err:
        load_preset(path)
    message = str(err.value)
    assert str(path) in message and "not valid YAML" in message
    assert f"{path}:" in message


@pytest.mark.parametrize("text, words", [
    ("- a\n- b\n", "must be a mapping"),
    ("just text\n", "must be a mapping"),
    ("", "empty"),
    ("# only comments\n", "empty"),
])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, words: str) -> None:
    preset = load_preset(write(tmp_path, text))
    assert not preset.ok
    assert words in preset.errors[0].message


def test_alias_and_name_together_is_an_error(tmp_path: Path) -> None:
    preset = load_preset(write(tmp_path, COMMENTED + "revision_of_model: v1\n"))
    assert any("both set revision_of_model" in p.message for p in preset.errors)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TunedeckError, match="no such preset file"):
        load_preset(tmp_path / "nope.yaml")


def test_load_config_applies_overrides(tmp_path: Path) -> None:
    path = write(tmp_path)
    cfg = load_config(path, ["micro_batch_size=4", "lora_target_modules=[q_proj,k_proj]"])
    assert cfg.micro_batch_size == 4 and cfg.lora_target_modules == ["q_proj", "k_proj"]
    assert path.read_text() == COMMENTED  # overrides never touch the file


def test_lines_follow_edits(tmp_path: Path) -> None:
    text = COMMENTED + "micro_batchsize: 1\n"
    preset = load_preset(write(tmp_path, text))
    typo_line = line_of(text, "micro_batchsize")
    [typo] = [p for p in preset.errors if p.key == "micro_batchsize"]
    assert typo.line == typo_line
    preset.set("num_epochs", 2)  # a value edit moves nothing
    assert [p.line for p in preset.errors if p.key == "micro_batchsize"] == [typo_line]
    preset.set("datasets.2.path", "more.jsonl")  # two new lines above the typo
    preset.set("lora_target_modules", ["a", "b", "c", "d"])  # two more
    out = preset.to_yaml()
    assert [p.line for p in preset.errors if p.key == "micro_batchsize"] == [line_of(out, "micro_batchsize")]
    assert line_of(out, "micro_batchsize") == typo_line + 3  # "- path: more.jsonl" + 2 list items
    preset.save(draft=True)
    assert [p.line for p in preset.errors if p.key == "micro_batchsize"] == [line_of(out, "micro_batchsize")]


def test_dataset_entry_problems_point_at_the_entry(tmp_path: Path) -> None:
    text = "base_model: m\ndatasets:\n  - path: a.jsonl\n  - type: completion\n  - just-a-string\n"
    preset = load_preset(write(tmp_path, text))
    problems = by_key(preset)
    assert problems["datasets.1.path"][0].line == 4 and "no 'path'" in problems["datasets.1.path"][0].message
    assert problems["datasets.2"][0].line == 5 and "must be a mapping" in problems["datasets.2"][0].message


def test_duplicate_keys_are_a_yaml_error_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "base_model: m\nlora_r: 8\nlora_r: 16\n")
    with pytest.raises(TunedeckError) as err:
        load_preset(path)
    assert f"{path}:3" in str(err.value) or f"{path}:2" in str(err.value)


def test_swapped_letters_in_a_short_key_are_a_typo(tmp_path: Path) -> None:
    text = COMMENTED.replace("    type: completion", "    tpye: completion") + "sede: 1\n"
    preset = load_preset(write(tmp_path, text))
    problems = by_key(preset)
    assert "did you mean 'type'" in problems["datasets.1.tpye"][0].message
    assert "did you mean 'seed'" in problems["sede"][0].message


def test_registry_keys_are_axolotl_keys() -> None:
    """tunedeck's Axolotl-compatible knobs must be real Axolotl keys; its launch knobs must not be."""
    from engine.axolotl_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_TOP_LEVEL_KEYS
    from engine.knobs import dataset_knobs, top_level_knobs

    assert [k.key for k in top_level_knobs() if k.axolotl and k.key not in AXOLOTL_TOP_LEVEL_KEYS] == []
    assert [k.key for k in dataset_knobs() if k.axolotl and k.key not in AXOLOTL_DATASET_KEYS] == []
    assert [k.key for k in top_level_knobs() if not k.axolotl and k.key in AXOLOTL_TOP_LEVEL_KEYS] == []
    assert len(AXOLOTL_TOP_LEVEL_KEYS) > 250
