"""`validate` catches a chat template name tunedeck cannot render (issue 16: a known failure is an error before
launch, not at preprocessing): an unknown name gets the list of known ones, at the top level and per dataset;
every name tunedeck renders passes (a vision-language template needs processor_type: tests/test_vision.py)."""

from __future__ import annotations

import pytest

from engine.data.templates import FALLBACK_PREFIX, TEMPLATES, VISION_TEMPLATES
from engine.preset import Preset


def _problems(name: str, where: str) -> dict[str, str]:
    top = f"chat_template: {name}\n" if where == "top" else ""
    per_dataset = f"    chat_template: {name}\n" if where == "dataset" else ""
    preset = Preset(f"base_model: presets/tiny/model\n{top}datasets:\n  - path: presets/tiny/chat.jsonl\n"
                    f"    type: chat_template\n{per_dataset}", None)
    return {p.key: p.message for p in preset.problems if p.severity == "error"}


KEY = {"top": "chat_template", "dataset": "datasets.0.chat_template"}


@pytest.mark.parametrize("where", ["top", "dataset"])
def test_an_unknown_name_is_an_error_that_lists_the_known_ones(where: str) -> None:
    message = _problems("chatml2", where)[KEY[where]]
    assert "unknown chat template 'chatml2'" in message
    assert "tokenizer_default" in message and "qwen_25" in message and "mistral-with-system" in message


@pytest.mark.parametrize("where", ["top", "dataset"])
@pytest.mark.parametrize("name", sorted(VISION_TEMPLATES))
def test_a_vision_language_template_asks_for_processor_type(where: str, name: str) -> None:
    message = _problems(name, where)[KEY[where]]
    assert f"chat template '{name}' is for a vision-language model" in message and "processor_type" in message


def test_the_fallback_form_checks_the_name_it_falls_back_to() -> None:
    assert "chat_template" not in _problems(FALLBACK_PREFIX + "chatml", "top")
    assert "unknown chat template 'nope'" in _problems(FALLBACK_PREFIX + "nope", "top")["chat_template"]


@pytest.mark.parametrize("name", [*sorted(set(TEMPLATES) - set(VISION_TEMPLATES)), "tokenizer_default"])
def test_every_name_tunedeck_renders_passes(name: str) -> None:
    assert "chat_template" not in _problems(name, "top")
    assert "datasets.0.chat_template" not in _problems(name, "dataset")
