"""The registry's content: every knob teaches, links only to real knobs, and its defaults pass its own checks."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from engine.knobs import Config, DatasetConfig, Section, all_knobs, get_knob

KNOBS = all_knobs()
IDS = [k.path for k in KNOBS]


@pytest.mark.parametrize("info", KNOBS, ids=IDS)
def test_every_knob_teaches(info):
    for name in ("summary", "what", "cost", "typical"):
        text = getattr(info, name)
        assert text.strip(), f"{info.path}: {name} is empty"
        # 1–4 sentences: a newcomer reads it in the editor's help panel.
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]
        assert len(sentences) <= 5, f"{info.path}: {name} has {len(sentences)} sentences"
        assert len(text) < 700, f"{info.path}: {name} is {len(text)} characters"


@pytest.mark.parametrize("info", KNOBS, ids=IDS)
def test_interacts_names_real_other_knobs(info):
    assert info.interacts, f"{info.path} names no knob it interacts with"
    for name in info.interacts:
        other = get_knob(name)
        assert other is not None, f"{info.path}: interacts names unknown knob {name!r}"
        assert other is not info, f"{info.path}: interacts names itself"


@pytest.mark.parametrize("info", [k for k in KNOBS if k.default is not None], ids=lambda k: k.path)
def test_defaults_satisfy_their_own_constraints(info):
    # The field's type with its range constraints, then the whole model (runs the field's own validators).
    meta = info.field_info.metadata
    adapter = TypeAdapter(Annotated[(info.annotation, *meta)] if meta else info.annotation)
    assert adapter.validate_python(info.default) == info.default
    if info.parent:
        DatasetConfig.model_validate({"path": "data.jsonl", info.key: info.default})
    else:
        Config.model_validate({info.key: info.default})


def test_default_config_and_dataset_validate():
    Config()
    DatasetConfig(path="data.jsonl")


def test_basic_view_covers_every_section_a_newcomer_needs():
    sections = {k.section for k in KNOBS if k.basic}
    assert sections == set(Section)
    for key in ("base_model", "datasets", "micro_batch_size", "learning_rate", "adapter", "num_epochs"):
        assert get_knob(key).basic


def test_alias_resolves_to_its_knob():
    assert get_knob("model_revision") is get_knob("revision_of_model")


def _error(model, **values) -> str:
    with pytest.raises(ValidationError) as err:
        model(**values)
    return str(err.value)


@pytest.mark.parametrize("tokens, fix", [
    ({"padding_token": "<pad>"}, "pad_token"),
    ({"pad_token": ""}, "token text"),
])
def test_special_tokens_names_are_checked(tokens, fix):
    msg = _error(Config, special_tokens=tokens)
    assert "special_tokens" in msg and fix in msg


def test_known_special_tokens_pass():
    cfg = Config(special_tokens={"pad_token": "<pad>", "eos_token": "</s>"})
    assert cfg.special_tokens["pad_token"] == "<pad>"


@pytest.mark.parametrize("modules, fix", [
    ([], "lora_target_linear"), (["q_proj", " "], "q_proj"), ("", "lora_target_linear"),
    (".*(q|v_proj", "not a valid regular expression"), (["q_proj", "v_("], "[q_proj, v_proj]"),
])
def test_lora_target_modules_need_names(modules, fix):
    msg = _error(Config, lora_target_modules=modules)
    assert fix in msg


def test_tokens_must_be_non_empty():
    assert "empty string" in _error(Config, tokens=["<x>", ""])


@pytest.mark.parametrize("size, ok", [(0, True), (0.05, True), (1, True), (200, True), (2.5, False), (150.5, False)])
def test_val_set_size_rows_are_whole(size, ok):
    if ok:
        assert Config(val_set_size=size).val_set_size == size
    else:
        msg = _error(Config, val_set_size=size)
        assert "val_set_size" in msg and "row count" in msg and "0.05" in msg


@pytest.mark.parametrize("lr, ok", [(2e-4, True), (1.0, True), (3.0, False), (20, False)])
def test_learning_rate_above_one_is_refused(lr, ok):
    if ok:
        assert Config(learning_rate=lr).learning_rate == lr
    else:
        msg = _error(Config, learning_rate=lr)
        assert "2e-4" in msg


@pytest.mark.parametrize("repo, ok", [("me/model", True), ("model", True), ("a/b/c", False), ("me/my model", False)])
def test_hub_model_id_shape(repo, ok):
    if ok:
        Config(hub_model_id=repo)
    else:
        assert "user-or-org/name" in _error(Config, hub_model_id=repo)


@pytest.mark.parametrize("values, fix", [
    ({"path": " "}, "dataset id"),
    ({"path": "d.jsonl", "field_messages": ""}, "messages"),
    ({"path": "d.jsonl", "roles_to_train": ["assistant", ""]}, "assistant"),
])
def test_dataset_field_checks(values, fix):
    assert fix in _error(DatasetConfig, **values)


def test_main_process_ip_must_look_like_an_address():
    assert "IP or host name" in _error(Config, main_process_ip="10.0.0.1 extra")


def test_lora_target_modules_take_a_list_or_one_regex():
    assert Config(lora_target_modules=["q_proj"]).lora_target_modules == ["q_proj"]
    assert Config(lora_target_modules=r".*\.(q|v)_proj").lora_target_modules == r".*\.(q|v)_proj"


def test_lora_alpha_is_a_whole_number():
    assert type(Config(lora_alpha=32).lora_alpha) is int
    assert "integer" in _error(Config, lora_alpha=16.5)
    assert _error(Config, lora_alpha=0)


@pytest.mark.parametrize("metric, ok", [("eval_loss", True), ("loss", True), ("eval_mean_token_accuracy", True),
                                        ("entropy", True), ("eval_bleu", False), ("accuracy", False)])
def test_metric_for_best_model_is_one_tunedeck_reports(metric, ok):
    if ok:
        assert Config(metric_for_best_model=metric).metric_for_best_model == metric
    else:
        msg = _error(Config, metric_for_best_model=metric)
        assert metric in msg and "eval_loss" in msg and "eval_mean_token_accuracy" in msg


def test_chat_template_jinja_may_not_be_blank():
    assert "chat_template_jinja is empty" in _error(Config, chat_template_jinja=" ")
    assert "chat_template_jinja is empty" in _error(DatasetConfig, path="d.jsonl", chat_template_jinja="")
