"""Typed text ↔ knob values: every knob's widget kind, and text round trips through parse()."""

from __future__ import annotations

import pytest

from engine.knobs.registry import all_knobs, get_knob
from tui.kinds import UNSET, FieldError, kind_of, parse, to_text

TEXT_KINDS = ("int", "float", "text", "list", "mapping", "text_or_list")


@pytest.mark.parametrize("knob", all_knobs(), ids=lambda k: k.path)
def test_default_round_trips_through_its_text(knob) -> None:
    kind = kind_of(knob.annotation)
    assert kind.name in (*TEXT_KINDS, "bool", "choice", "datasets")
    if kind.name not in TEXT_KINDS or knob.default in (None, [], {}):
        return
    assert parse(to_text(knob.default, kind), knob) == knob.default


@pytest.mark.parametrize(("path", "text", "message"), [
    ("micro_batch_size", "abc", "not a whole number"),
    ("micro_batch_size", "0", "^must be at least 1$"),
    ("learning_rate", "fast", "not a number"),
    ("lora_dropout", "1.5", "^must be less than 1$"),
    ("learning_rate", "0", "^must be more than 0$"),
    ("optimizer", "fast", "^expected one of: adamw_torch, "),
    ("datasets.0.roles", "user: [human", "key: value"),
])
def test_bad_text_is_refused_with_what_to_type(path: str, text: str, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        parse(text, get_knob(path))


def test_typed_values() -> None:
    assert parse("2e-4", get_knob("learning_rate")) == pytest.approx(2e-4)
    assert parse("q_proj, v_proj", get_knob("lora_target_modules")) == ["q_proj", "v_proj"]
    assert parse("a.jsonl", get_knob("datasets.0.data_files")) == "a.jsonl"
    assert parse("a.jsonl, b.jsonl", get_knob("datasets.0.data_files")) == ["a.jsonl", "b.jsonl"]
    assert parse("pad_token: <pad>", get_knob("special_tokens")) == {"pad_token": "<pad>"}
    assert parse("  ", get_knob("max_steps")) is UNSET
    assert kind_of(get_knob("bf16").annotation).choices == ("auto", True, False)
    assert kind_of(get_knob("adapter").annotation).optional


@pytest.mark.parametrize(("value", "shown"), [("\n\n", "\\n\\n"), ("<|a|>\t\\x\n", "<|a|>\\t\\\\x\\n"),
                                              ("C:\\dir", "C:\\dir"), ("plain", "plain")])
def test_a_text_with_new_lines_is_shown_and_typed_with_escapes(value: str, shown: str) -> None:
    """A one-line input cannot hold H2O's default separator (two new lines): it is shown as \\n\\n and read back;
    a text without control characters keeps its backslashes as typed."""
    knob = next(k for k in all_knobs() if k.key == "prompt_column_separator")
    assert to_text(value, kind_of(knob.annotation)) == shown
    assert parse(shown, knob) == value
