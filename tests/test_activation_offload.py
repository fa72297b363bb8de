"""Activation offloading's knobs (Axolotl's ``activation_offloading`` and its older ``gradient_checkpointing:
offload`` / ``offload_disk`` spellings), the rule that it needs checkpointing, the memory estimate that moves the
checkpointed inputs off the GPU, and ``train --dry-run`` saying so. The real training runs are in
test_train_activation_offload.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _resume_helpers import tunedeck
from _runs_helpers import write_preset

from engine.estimate.memory import estimate_memory
from engine.estimate.setup import Setup
from engine.estimate.shapes import bundled_config, shape_from_config
from engine.knobs import Config, get_knob
from engine.preset import load_preset

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "axolotl"
LLAMA3 = shape_from_config(bundled_config("meta-llama/Llama-3.1-8B"), "llama")


@pytest.mark.parametrize("spelling, offloading", [("offload", True), ("offload_disk", "disk")])
def test_axolotls_old_spellings_mean_checkpointing_with_offloading(spelling: str, offloading: object) -> None:
    cfg = Config(gradient_checkpointing=spelling)
    assert cfg.gradient_checkpointing is True and cfg.activation_offloading == offloading
    # An explicit activation_offloading is what the user chose: the old spelling does not replace it.
    assert Config(gradient_checkpointing=spelling, activation_offloading="disk").activation_offloading == "disk"


@pytest.mark.parametrize("value", [True, False, "disk", "legacy"])
def test_activation_offloading_takes_axolotls_values(value: object) -> None:
    assert Config(gradient_checkpointing=True, activation_offloading=value).activation_offloading == value


def test_a_value_axolotl_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="activation_offloading") as refused:
        Config(gradient_checkpointing=True, activation_offloading="hidden")
    assert "'legacy' or 'disk'" in str(refused.value)  # the values it takes, not "an unknown key"


def test_the_knob_teaches_what_it_saves_and_costs() -> None:
    info = get_knob("activation_offloading")
    assert info is not None
    assert "checkpointed" in info.summary and "CPU memory" in info.what and "disk" in info.what
    assert "legacy" in info.what  # read as true, and said so
    assert "PCIe" in info.cost and "host RAM" in info.cost and "GPU memory" in info.cost
    assert "long sequence_len" in info.typical and "gradient_checkpointing" in info.interacts
    assert "offload_disk" in get_knob("gradient_checkpointing").what


def _problems(tmp_path: Path, text: str) -> list[tuple[str, str, int | None, str]]:
    path = tmp_path / "preset.yaml"
    path.write_text("base_model: models/tiny\ndatasets:\n  - path: d.jsonl\n    type: completion\n" + text)
    return [(p.severity, p.key, p.line, p.message) for p in load_preset(path).problems]


def test_offloading_without_checkpointing_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    [(severity, _, line, message)] = [p for p in _problems(tmp_path, "activation_offloading: true\n")
                                      if p[1] == "activation_offloading"]
    assert severity == "error" and line == 5
    assert "gradient_checkpointing: true" in message and "remove activation_offloading" in message
    assert not [p for p in _problems(tmp_path, "gradient_checkpointing: true\nactivation_offloading: true\n")
                if p[1] in ("activation_offloading", "gradient_checkpointing")]


def test_the_old_spelling_is_read_and_named(tmp_path: Path) -> None:
    [(severity, _, line, message)] = [p for p in _problems(tmp_path, "gradient_checkpointing: offload_disk\n")
                                      if p[1] == "gradient_checkpointing"]
    assert severity == "warning" and line == 5
    assert "gradient_checkpointing: true with activation_offloading: disk" in message


def test_axolotls_qwen3_32b_qlora_example_is_accepted() -> None:
    preset = load_preset(FIXTURES / "qwen3-32b-qlora.yaml")  # gradient_checkpointing: offload, 4-bit QLoRA
    assert preset.errors == []
    assert preset.config.gradient_checkpointing is True and preset.config.activation_offloading is True
    assert "activation_offloading" not in preset.kept_keys  # used by tunedeck, not merely kept


@pytest.mark.parametrize("target", ["cpu", "disk"])
def test_the_estimate_moves_the_checkpointed_inputs_off_the_gpu(target: str) -> None:
    on_gpu = Setup(LLAMA3, micro_batch=1, sequence_len=32768, adapter="qlora", quant_bits=4,
                   gradient_checkpointing=True)
    kept, moved = estimate_memory(on_gpu), estimate_memory(on_gpu.but(activation_offload=target))
    inputs = kept.parts["checkpointed_inputs"]
    assert inputs > 1.0  # 32 layers × 32k tokens × 4096 × 2 bytes: worth moving
    assert "checkpointed_inputs" not in moved.parts and moved.offloaded == {target: pytest.approx(inputs)}
    assert moved.expected == pytest.approx(kept.expected - inputs)
    assert moved.high < kept.high and moved.low < kept.low
    assert kept.offloaded == {}
    # Without checkpointing there is nothing checkpointed to move (validate refuses that combination).
    plain = on_gpu.but(gradient_checkpointing=False)
    assert estimate_memory(plain.but(activation_offload=target)) == estimate_memory(plain)


def test_dry_run_and_estimate_say_where_the_activations_go(tmp_path: Path) -> None:
    preset = write_preset(tmp_path, gradient_checkpointing=True, activation_offloading=True)
    out = tunedeck("train", str(preset), "--dry-run")
    assert out.returncode == 0, out.stderr
    # The tiny model's inputs are KiB: said in KiB or MiB, never "0.00 GiB" (engine.estimate.sizes).
    assert re.search(r"activation offloading cpu: each layer's checkpointed input waits in CPU memory \(pinned on a "
                     r"GPU\), not on the GPU: about [\d.]+ [KM]iB per process at sequence_len", out.stdout), out.stdout
    estimate = tunedeck("estimate", str(preset), "--no-data", "--gpu-memory", "24")
    assert estimate.returncode == 0, estimate.stderr
    assert re.search(r"Offloaded: [\d.]+ [KM]iB of checkpointed layer inputs wait in CPU memory", estimate.stdout)
    assert "0.00" not in estimate.stdout  # the tiny model's parts and parameter count in units that show them
    plain = tunedeck("train", str(write_preset(tmp_path, "plain.yaml", gradient_checkpointing=True)), "--dry-run")
    assert "activation offloading" not in plain.stdout
