"""Hostile or broken preset files get a one-paragraph message that says where, never a traceback or a hang."""

from __future__ import annotations

import math
import typing
from pathlib import Path

import pytest
from _preset_helpers import COMMENTED, line_of, write
from ruamel.yaml.tokens import CommentToken

from engine.cli import main
from engine.errors import TunedeckError
from engine.knobs.registry import top_level_knobs
from engine.preset import apply_override, load_preset
from engine.preset.limits import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_PRESET_BYTES
from engine.preset.yamlio import parse

HEAD = "base_model: ./presets/tiny/model\ndatasets:\n  - path: presets/tiny/chat.jsonl\n    type: chat_template\n"


def refusal(path: Path) -> str:
    """The message load_preset refuses ``path`` with (one paragraph, no traceback)."""
    with pytest.raises(TunedeckError) as err:
        load_preset(path)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ------------------------------------------------------------------ %YAML directives

@pytest.mark.parametrize("text, line", [
    (HEAD + "micro_batch_size: 2\n%YAML 9.9\n---\nlora_r: 8\n", 6),  # mid-file: ruamel raised a bare KeyError
    ("%YAML 9.9\n---\n" + HEAD, 1),
    ("%YAML 1.0\n---\n" + HEAD, 1),
])
def test_a_yaml_version_the_parser_does_not_know_names_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith(f"{path}:{line}: ") and "%YAML" in message and "Delete that line" in message


def test_validate_and_preview_refuse_the_yaml_directive_cleanly(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, HEAD + "%YAML 9.9\n---\nlora_r: 8\n")
    assert main(["validate", str(path)]) == 2
    assert f"{path}:5: the preset asks for YAML version '9.9'" in capsys.readouterr().out
    assert main(["preview", str(path), "-n", "1"]) == 2
    captured = capsys.readouterr()
    assert f"{path}:5:" in captured.out + captured.err


def test_yaml_1_1_and_1_2_directives_still_load(tmp_path: Path) -> None:
    for version in ("1.1", "1.2"):
        assert load_preset(write(tmp_path, f"%YAML {version}\n---\n" + HEAD)).ok


# ------------------------------------------------------------------ aliases and nesting

BOMB = HEAD + "lora_target_modules:\n  - &a [" + ", ".join(["lol"] * 9) + "]\n" + "".join(
    f"  - &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n" for prev, name in zip("abcdefg", "bcdefgh", strict=False))


def test_an_alias_bomb_is_refused_at_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)  # 9^8 = 43 million values spelled in 8 lines
    message = refusal(path)
    assert message.startswith(f"{path}:{line_of(BOMB, 'lora_target_modules')}: lora_target_modules: ")
    assert f"expand to more than {MAX_ALIAS_VALUES:,} values" in message


def test_the_check_for_another_tools_config_applies_the_same_bounds(tmp_path: Path) -> None:
    """The TUI asks engine.importers whether a file is another tool's config before loading it as a preset: that
    read expanded the bomb (to_plain) and raised the bare KeyError."""
    from engine.importers.source import read_source

    for text in (BOMB, HEAD + "%YAML 9.9\n---\nlora_r: 8\n"):
        with pytest.raises(TunedeckError):
            read_source(write(tmp_path, text))


def test_an_anchor_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "&loop [base_model, *loop]\n")  # ruamel builds a list that holds itself
    assert refusal(path).startswith(f"{path}: an anchor contains an alias to itself")


def test_modest_aliases_still_load(tmp_path: Path) -> None:
    text = HEAD + "lora_target_modules: &mods [q_proj, v_proj]\nlora_modules_to_save: *mods\n"
    preset = load_preset(write(tmp_path, text))
    assert preset.get("lora_target_modules") == ["q_proj", "v_proj"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 3000])  # within the parser's recursion, and far past it
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    path = write(tmp_path, HEAD + "lora_target_modules: " + "[" * depth + "]" * depth + "\n")
    message = refusal(path)
    assert message.startswith(f"{path}") and "nested" in message


@pytest.mark.parametrize("value", ["&a [*a]", "&a {x: *a}", "[" * 3000 + "]" * 3000])
def test_a_set_value_that_never_ends_is_refused_with_the_knobs_message(tmp_path: Path, value: str) -> None:
    preset = load_preset(write(tmp_path))
    with pytest.raises(TunedeckError) as err:
        apply_override(preset, f"micro_batch_size={value}")
    assert str(err.value).startswith(f"--set 'micro_batch_size={value[:20]}")
    assert "micro_batch_size expects a whole number" in str(err.value)


# ------------------------------------------------------------------ size

def test_a_preset_over_the_size_cap_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "# " + "x" * MAX_PRESET_BYTES + "\n")
    message = refusal(path)
    assert message.startswith(f"{path}: the preset is over 1 MB")


def test_a_device_is_read_no_further_than_the_cap() -> None:
    with pytest.raises(TunedeckError, match="over 1 MB"):
        load_preset("/dev/zero")  # endless: read past the cap, this never returned


def test_a_run_of_comment_lines_parses_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """ruamel grew a comment run one line at a time (n² characters copied): count what is assigned."""
    assigned = [0]
    value = CommentToken.value

    def counting(self: CommentToken, text: typing.Any) -> None:
        assigned[0] += len(text) if isinstance(text, str) else 0
        value.fset(self, text)  # type: ignore[misc]

    monkeypatch.setattr(CommentToken, "value", property(value.fget, counting))
    text = HEAD + "lora_r: 8\n" + "".join(f"  # note {i}\n" for i in range(20_000)) + "lora_alpha: 16\n"
    doc = parse(text)
    assert doc["lora_alpha"] == 16
    assert assigned[0] < 3 * len(text), assigned[0]


@pytest.mark.parametrize("text", [
    COMMENTED,
    COMMENTED.replace("lora_r: 8\n", "lora_r: 8  # rank\n  # more\n    # deeper\n# out\n\n# after gap\n"),
    COMMENTED.replace("  - v_proj\n", "  - v_proj  # v\n  # after the list\n\n# heading\n"),
    "a: [x, y]  # flow\n# below\nb: {c: 1}  # map\n   # indented\nd: 'q'\n# end\n",
])
def test_the_linear_scanner_reads_comments_as_ruamels_own(text: str) -> None:
    from io import StringIO

    from ruamel.yaml.scanner import RoundTripScanner

    from engine.preset.yamlio import make_yaml

    dumps = []
    for scanner in (RoundTripScanner, None):
        yaml = make_yaml(text)
        if scanner is not None:
            yaml.Scanner = scanner
        doc = yaml.load(text)
        doc["micro_batch_size"] = 3
        out = StringIO()
        yaml.dump(doc, out)
        dumps.append(out.getvalue())
    assert dumps[0] == dumps[1]


# ------------------------------------------------------------------ inf and nan

def _float_knobs() -> list[str]:
    def takes_float(annotation: typing.Any) -> bool:
        return annotation is float or float in typing.get_args(annotation)
    return [k.key for k in top_level_knobs() if takes_float(k.annotation)]


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e309"])
def test_num_epochs_inf_is_a_range_error_at_validate(tmp_path: Path, value: str) -> None:
    text = COMMENTED.replace("num_epochs: 3", f"num_epochs: {value}")
    preset = load_preset(write(tmp_path, text))
    [error] = [p for p in preset.errors if p.key == "num_epochs"]
    assert error.line == line_of(text, "num_epochs") and "expected a number" in error.message


@pytest.mark.parametrize("key", _float_knobs())
def test_no_numeric_knob_takes_inf_or_nan(tmp_path: Path, key: str) -> None:
    for value in (math.inf, math.nan):
        preset = load_preset(write(tmp_path))
        preset.set(key, value)
        assert any(p.key == key for p in preset.errors), (key, value)


# ------------------------------------------------------------------ not a mapping

@pytest.mark.parametrize("text", ["- a\n- b\n", "42\n", "just text\n"])
def test_editing_a_preset_that_is_not_a_mapping_is_refused_with_validates_message(tmp_path: Path,
                                                                                  text: str) -> None:
    path = write(tmp_path, text)
    preset = load_preset(path)
    expected = f"{path}: the preset must be a mapping of keys to values"
    with pytest.raises(TunedeckError, match="must be a mapping") as err:
        apply_override(preset, "micro_batch_size=2")
    assert str(err.value).startswith(expected)
    with pytest.raises(TunedeckError, match="must be a mapping"):
        preset.unset("lora_r")


# ------------------------------------------------------------------ found by tests/test_fuzz.py

@pytest.mark.parametrize("extra, key", [
    (f"max_steps: {10**400}\nwarmup_ratio: 0.1\n", "max_steps"),  # warmup = total × ratio overflowed a float
    ("num_epochs: 1e308\n", "num_epochs"),  # finite, but epochs × steps per epoch overflowed the step planner
])
def test_numbers_past_what_the_step_planner_can_hold_are_range_errors(tmp_path: Path, extra: str, key: str) -> None:
    preset = load_preset(write(tmp_path, HEAD + extra))
    [error] = [p for p in preset.errors if p.key == key]
    assert error.line == line_of(HEAD + extra, key) and "≤" in error.message


def test_a_key_of_unicode_digits_is_a_key_not_an_index(tmp_path: Path) -> None:
    """'¹'.isdigit() is true but int('¹') fails: a dataset key spelt so crashed the line lookup."""
    text = HEAD + "    ¹: x\n"
    preset = load_preset(write(tmp_path, text))
    [warning] = [p for p in preset.warnings if p.key == "datasets.0.¹"]
    assert warning.line == 5
    with pytest.raises(TunedeckError):
        apply_override(preset, "datasets.¹.type=completion")
