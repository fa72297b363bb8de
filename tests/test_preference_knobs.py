"""Preference tuning knobs (``rl:`` and friends): read as Axolotl reads them, checked as Axolotl checks them, with a
mentor's warnings and the CPU refusal of 4-bit preference tuning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _preset_helpers import line_of, write

from engine.advice import advise
from engine.knobs import Config, get_knob
from engine.machine import cpu_refusals
from engine.preset import load_preset

DPO = """\
base_model: org/Some-Model-Instruct
rl: dpo
rl_beta: 0.1
datasets:
  - path: pairs.jsonl
    type: chat_template.default
    field_messages: conversation
adapter: lora
lora_target_linear: true
learning_rate: 5.0e-6
"""


def _problems(tmp_path: Path, text: str) -> dict[str, list[Any]]:
    preset = load_preset(write(tmp_path, text))
    out: dict[str, list[Any]] = {}
    for p in preset.problems:
        out.setdefault(p.key, []).append(p)
    return out


def _cfg(**values: Any) -> Config:
    base: dict[str, Any] = {"base_model": "org/m-instruct", "rl": "dpo",
                            "datasets": [{"path": "d", "type": "chat_template.default"}]}
    return Config.model_validate({**base, **values})


def test_a_dpo_preset_loads_clean(tmp_path: Path) -> None:
    problems = _problems(tmp_path, DPO)
    assert [p.format() for ps in problems.values() for p in ps if p.severity == "error"] == []
    cfg = load_preset(write(tmp_path, DPO)).config
    assert cfg is not None and cfg.rl == "dpo" and cfg.rl_beta == 0.1
    assert cfg.datasets[0].field_chosen == "chosen" and cfg.datasets[0].field_rejected == "rejected"


@pytest.mark.parametrize("method", ["dpo", "ipo", "orpo", "kto", "simpo"])
def test_each_method_is_a_value_of_rl(method: str) -> None:
    assert _cfg(rl=method, datasets=[{"path": "d", "type": "chatml.intel"}]).rl == method


@pytest.mark.parametrize(("value", "named"), [("grpo", "(GRPO)"), ("gdpo", "(GDPO)"), ("ebft", "(EBFT)"),
                                              ("ppo", "'ppo'")])
def test_an_rl_tunedeck_does_not_train_is_refused_by_name(tmp_path: Path, value: str, named: str) -> None:
    text = DPO.replace("rl: dpo", f"rl: {value}")
    problems = _problems(tmp_path, text)
    [error] = problems["rl"]
    assert error.severity == "error" and named in error.message and "does not support" in error.message
    assert error.message.startswith(f"rl: {value} asks for")  # the key keeps its case (it read "Rl: ebft")
    assert error.line == line_of(text, f"rl: {value}")
    assert "expected one of" not in error.message


def test_dpo_beta_is_read_as_rl_beta_with_a_note(tmp_path: Path) -> None:
    text = DPO.replace("rl_beta: 0.1", "dpo_beta: 0.3")
    preset = load_preset(write(tmp_path, text))
    assert preset.config is not None and preset.config.rl_beta == 0.3
    [note] = [p for p in preset.problems if p.key == "dpo_beta"]
    assert note.severity == "warning" and "old name of rl_beta" in note.message
    assert get_knob("dpo_beta") is get_knob("rl_beta")


def test_sample_packing_is_refused_with_rl(tmp_path: Path) -> None:
    [error] = _problems(tmp_path, DPO + "sample_packing: true\n")["sample_packing"]
    assert error.severity == "error" and "rl: dpo" in error.message and "sample_packing: false" in error.message


def test_rl_with_an_sft_type_and_sft_with_a_preference_type_name_both_keys(tmp_path: Path) -> None:
    [error] = _problems(tmp_path, DPO.replace("type: chat_template.default", "type: chat_template"))[
        "datasets.0.type"]
    assert error.severity == "error" and "rl is dpo" in error.message and "chat_template.default" in error.message
    [error] = _problems(tmp_path, DPO.replace("rl: dpo\n", "").replace("rl_beta: 0.1\n", ""))["datasets.0.type"]
    assert error.severity == "error" and "rl is not set" in error.message and "preference" in error.message


def test_kto_reads_its_own_types() -> None:
    from engine.knobs.rules import check_rules

    kto = _cfg(rl="kto", datasets=[{"path": "d", "type": "chat_template.argilla_chat"}])
    [error] = [p for p in check_rules(kto) if p.key == "datasets.0.type"]
    assert "prompt, completion and label" in error.message and "chatml.argilla" in error.message
    assert not [p for p in check_rules(_cfg(rl="kto", datasets=[{"path": "d", "type": "chatml.argilla"}]))
                if p.severity == "error"]


def test_a_method_knob_under_another_method_is_a_warning() -> None:
    from engine.knobs.rules import check_rules

    problems = {p.key: p for p in check_rules(_cfg(kto_desirable_weight=1.3, simpo_gamma=0.5))}
    assert problems["kto_desirable_weight"].severity == "warning"
    assert "only rl: kto reads it" in problems["kto_desirable_weight"].message
    assert "only rl: simpo reads it" in problems["simpo_gamma"].message


def test_lora_model_dir_needs_an_adapter() -> None:
    from engine.knobs.rules import check_rules

    [error] = [p for p in check_rules(_cfg(lora_model_dir="outputs/sft")) if p.key == "lora_model_dir"]
    assert error.severity == "error" and "adapter: lora" in error.message


def test_preference_tuning_of_a_4bit_model_is_refused_on_a_cpu() -> None:
    cfg = _cfg(adapter="qlora", load_in_4bit=True, lora_target_linear=True)
    assert [key for key, _ in cpu_refusals(cfg)] == ["rl"]
    [(_, message)] = cpu_refusals(cfg)
    assert "no-grad" in message and "Train on a GPU" in message
    assert list(cpu_refusals(cfg.model_copy(update={"rl": None}))) == []


def _notes(cfg: Config) -> dict[str, Any]:
    return {n.key: n for n in advise(cfg)}


def test_mentor_warns_about_an_sft_learning_rate_under_rl() -> None:
    note = _notes(_cfg(adapter="lora", lora_target_linear=True, learning_rate=2e-4))["learning_rate"]
    assert note.severity == "warning" and "10–100× below SFT" in note.message
    assert "learning_rate" not in _notes(_cfg(adapter="lora", lora_target_linear=True, learning_rate=5e-6))
    full = _notes(_cfg(learning_rate=2e-5))["learning_rate"]
    assert "5e-7 to 5e-6 in a full fine-tune" in full.message


@pytest.mark.parametrize(("beta", "words"), [(0.001, "drift"), (2.0, "barely changes")])
def test_mentor_warns_about_beta_at_the_extremes(beta: float, words: str) -> None:
    assert words in _notes(_cfg(rl_beta=beta, learning_rate=1e-6))["rl_beta"].message
    assert "rl_beta" not in _notes(_cfg(rl_beta=0.1, learning_rate=1e-6))


def test_mentor_notes_a_base_model_and_the_reference_copy() -> None:
    notes = _notes(_cfg(base_model="meta-llama/Meta-Llama-3-8B", learning_rate=1e-6))
    assert "does not look instruction-tuned" in notes["base_model"].message
    assert "frozen copy of the whole model" in notes["adapter"].message
    tuned = _notes(_cfg(base_model="meta-llama/Meta-Llama-3-8B-Instruct", adapter="lora", lora_target_linear=True,
                        learning_rate=5e-6))
    assert "base_model" not in tuned and "adapter" not in tuned


def test_rl_adapter_ref_model_true_is_refused_as_not_supported_yet(tmp_path: Path) -> None:
    """A separate reference model is not built yet: true must not train silently against the adapter-off base."""
    text = DPO + "rl_adapter_ref_model: true\n"
    [error] = _problems(tmp_path, text)["rl_adapter_ref_model"]
    assert error.severity == "error" and "not supported yet" in error.message
    assert "rl_adapter_ref_model: false" in error.message and error.line == line_of(text, "rl_adapter_ref_model")
    assert "rl_adapter_ref_model" not in _problems(tmp_path, DPO + "rl_adapter_ref_model: false\n")
