"""The Generation & evaluation section: tunedeck's own inference_* and sample knobs, validated and taught."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.knobs import Config, Section, knobs_by_section
from engine.knobs.rules import check_rules
from engine.machine import cpu_refusals

BASE = {"base_model": "org/model", "datasets": [{"path": "data.jsonl"}]}


def test_the_section_holds_every_generation_knob_fully_taught() -> None:
    knobs = {k.key: k for k in knobs_by_section()[Section.GENERATION]}
    assert set(knobs) == {
        "inference_system_prompt", "inference_max_new_tokens", "inference_do_sample", "inference_temperature",
        "inference_top_p", "inference_top_k", "inference_repetition_penalty", "inference_num_beams",
        "inference_stop_strings", "sample_answers", "sample_prompts_file",
    }
    for info in knobs.values():
        assert not info.axolotl, info.key
        assert info.summary and info.what and info.cost and info.typical, info.key


@pytest.mark.parametrize("values", [
    {"inference_max_new_tokens": 0}, {"inference_temperature": 0}, {"inference_top_p": 1.5},
    {"inference_num_beams": 0}, {"sample_answers": -1}, {"inference_stop_strings": ["</s>", ""]},
])
def test_out_of_range_values_are_refused(values: dict) -> None:
    with pytest.raises(ValidationError) as err:
        Config(**BASE, **values)
    assert next(iter(values)) in str(err.value)


def test_samples_without_evaluation_warn_naming_the_fix() -> None:
    problems = [p for p in check_rules(Config(**BASE, sample_answers=3)) if p.key == "sample_answers"]
    assert [p.severity for p in problems] == ["warning"]
    assert "val_set_size" in problems[0].message
    assert not [p for p in check_rules(Config(**BASE, sample_answers=3, val_set_size=0.1))
                if p.key == "sample_answers"]


def test_a_prompts_file_without_samples_warns() -> None:
    problems = [p for p in check_rules(Config(**BASE, sample_prompts_file="p.jsonl")) if p.key == "sample_prompts_file"]
    assert problems and "sample_answers" in problems[0].message


def test_quantized_samples_are_refused_on_a_cpu() -> None:
    cfg = Config(**BASE, adapter="qlora", load_in_4bit=True, val_set_size=0.1, sample_answers=2)
    refused = dict(cpu_refusals(cfg))
    assert "sample_answers" in refused and "GPU" in refused["sample_answers"]
    assert "sample_answers" not in dict(cpu_refusals(Config(**BASE, val_set_size=0.1, sample_answers=2)))
