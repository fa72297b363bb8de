"""A target effective batch split over however many processes run it, and the learning rate scaled by it
(tunedeck's own knobs, SiloGen finetuning's batchsize_conf and overrides): the split against a transcription of
SiloGen's rule, validation, `--dry-run`, the live panel, and a real training run that uses both."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _resume_helpers import tunedeck
from _runs_helpers import write_preset
from _train_helpers import base_preset, log_text, make_run_dir, of_kind, run_train
from _tui_editor_helpers import CHAT_PRESET, live_text, sync
from _tui_editor_helpers import write_preset as write_editor_preset
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import derive
from engine.knobs import Config
from engine.preset import load_preset


def silogen_split(total: int, max_per_device: int, processes: int) -> tuple[int, int]:
    """SiloGen finetuning's resolve_batchsize_and_accumulation (finetuning/utils/training.py), transcribed."""
    if total % processes != 0:
        raise ValueError("Total batch size must be divisible by the number of processes.")
    per_device = total // processes
    accumulation = 1
    while per_device > max_per_device:
        accumulation += 1
        if total % (processes * accumulation) != 0:
            continue
        per_device = total // (processes * accumulation)
    return per_device, accumulation


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 2048), st.integers(1, 64), st.integers(1, 16))
def test_the_split_is_silogens(target: int, max_micro: int, processes: int) -> None:
    try:
        want = silogen_split(target, max_micro, processes)
    except ValueError:
        with pytest.raises(derive.ImpossibleBatch):
            derive.split_target_batch(target, max_micro, processes)
        return
    split = derive.split_target_batch(target, max_micro, processes)
    assert (split.micro_batch_size, split.gradient_accumulation_steps) == want
    assert split.effective_batch == target and split.micro_batch_size <= max_micro


def cfg(**knobs) -> Config:
    return Config(base_model="m", datasets=[{"path": "d.jsonl", "type": "completion"}], **knobs)


def test_the_same_preset_has_the_same_effective_batch_on_1_or_8_gpus() -> None:
    for gpus, micro, accum in ((1, 4, 128), (2, 4, 64), (8, 4, 16)):
        c = cfg(target_effective_batch_size=512, max_micro_batch_size=4, gpus_per_node=gpus)
        split = derive.batch_split(c)
        assert (split.micro_batch_size, split.gradient_accumulation_steps, split.processes) == (micro, accum, gpus)
        assert derive.effective_batch_size(c) == 512
        assert derive.steps_per_epoch(c, num_rows=5120) == 10  # 5,120 rows / 512 per step, on any GPU count
    # a share with no divisor at the maximum: 3 × 2 rows per process on 2 GPUs, micro batch 3
    assert derive.batch_derivation(cfg(target_effective_batch_size=12, max_micro_batch_size=4, gpus_per_node=2)) \
        == ("3 × 2 × 2 = 12 (micro batch × accumulation × processes, derived from target_effective_batch_size 12 "
            "with max_micro_batch_size 4)")


def test_an_impossible_target_says_why() -> None:
    with pytest.raises(derive.ImpossibleBatch, match=r"cannot be shared evenly by 4 processes.*multiple of 4 "
                                                     r"\(8 or 12\)"):
        derive.split_target_batch(10, 4, 4)


def test_the_learning_rate_scales_by_the_effective_batch() -> None:
    base = {"learning_rate": 2e-5, "target_effective_batch_size": 64, "max_micro_batch_size": 8}
    assert derive.learning_rate(cfg(**base)) == 2e-5
    assert derive.rate_derivation(cfg(**base)) is None
    assert derive.learning_rate(cfg(**base, lr_batch_size_scaling="sqrt")) == pytest.approx(2e-5 * 8)
    assert derive.learning_rate(cfg(**base, lr_batch_size_scaling="linear")) == pytest.approx(2e-5 * 64)
    assert derive.learning_rate(cfg(**base, lr_multiplier=0.5, lr_batch_size_scaling="linear")) \
        == pytest.approx(2e-5 * 0.5 * 64)
    # without a target the written split is the batch: 2 × 2 × 4 processes = 16
    assert derive.learning_rate(cfg(learning_rate=1e-4, micro_batch_size=2, gradient_accumulation_steps=2,
                                    gpus_per_node=4, lr_batch_size_scaling="sqrt")) == pytest.approx(4e-4)
    assert derive.rate_derivation(cfg(**base, lr_multiplier=1.5, lr_batch_size_scaling="sqrt")) \
        == "2e-05 × lr_multiplier 1.5 × √64 = 0.00024"


def test_resolving_writes_the_split_out_once() -> None:
    c = cfg(target_effective_batch_size=64, max_micro_batch_size=8, learning_rate=1e-5, lr_batch_size_scaling="sqrt")
    run = derive.resolved(c, processes=2)
    assert (run.micro_batch_size, run.gradient_accumulation_steps, run.learning_rate) == (8, 4, pytest.approx(8e-5))
    assert derive.resolved(run, processes=2) == run  # nothing is split or scaled twice
    from engine.train.args import plan, sft_kwargs
    from engine.train.hardware import resolve_precision

    kwargs = sft_kwargs(run, resolve_precision(run, cuda=False, bf16_supported=False), plan(run, 640, 2),
                        has_eval=False, preset_path=None)
    assert (kwargs["per_device_train_batch_size"], kwargs["gradient_accumulation_steps"]) == (8, 4)
    assert kwargs["learning_rate"] == pytest.approx(8e-5)


def problems(tmp_path: Path, **knobs) -> dict[str, tuple[str, str]]:
    path = write_preset(tmp_path, **knobs)
    return {p.key: (p.severity, p.format()) for p in load_preset(path).problems}


def test_validation_of_the_target(tmp_path: Path) -> None:
    impossible = problems(tmp_path, target_effective_batch_size=10, max_micro_batch_size=4, gpus_per_node=4,
                          micro_batch_size=1, gradient_accumulation_steps=1)
    severity, text = impossible["target_effective_batch_size"]
    assert severity == "error" and "preset.yaml:" in text and "cannot be shared evenly by 4 processes" in text
    written = problems(tmp_path, target_effective_batch_size=16, max_micro_batch_size=4)  # helper writes micro 2
    assert written["micro_batch_size"][0] == "error" and "remove micro_batch_size" in written["micro_batch_size"][1]
    assert "gradient_accumulation_steps" not in written  # written at its default: nothing to say
    missing = problems(tmp_path, target_effective_batch_size=16, micro_batch_size=1)
    assert missing["max_micro_batch_size"][0] == "error"
    alone = problems(tmp_path, max_micro_batch_size=4)
    assert alone["max_micro_batch_size"][0] == "warning" and "changes nothing" in alone["max_micro_batch_size"][1]
    assert problems(tmp_path, lr_batch_size_scaling="cubic")["lr_batch_size_scaling"][0] == "error"
    assert problems(tmp_path, lr_multiplier=0)["lr_multiplier"][0] == "error"
    assert not [k for k, (sev, _) in problems(tmp_path, target_effective_batch_size=16, max_micro_batch_size=4,
                                               micro_batch_size=1).items() if sev == "error"]


def test_dry_run_shows_the_derivation(tmp_path: Path) -> None:
    preset = write_preset(tmp_path, target_effective_batch_size=24, max_micro_batch_size=4, micro_batch_size=1,
                          gpus_per_node=2, learning_rate=1e-5, lr_batch_size_scaling="linear")
    out = tunedeck("train", str(preset), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert ("effective batch 4 × 3 × 2 = 24 (micro batch × accumulation × processes, derived from "
            "target_effective_batch_size 24 with max_micro_batch_size 4)") in out.stdout
    assert "learning rate 1e-05 × 24 (linear in the effective batch) = 0.00024" in out.stdout


@sync
async def test_the_live_panel_shows_the_split_and_the_rate(tmp_path: Path) -> None:
    from tui.app import TunedeckApp

    text = CHAT_PRESET.replace("micro_batch_size: 2  # per process\ngradient_accumulation_steps: 2\n",
                               "target_effective_batch_size: 48\nmax_micro_batch_size: 5\ngpus_per_node: 2\n"
                               "lr_batch_size_scaling: sqrt\nlr_multiplier: 0.5\n")
    app = TunedeckApp(str(write_editor_preset(tmp_path, text=text)), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = live_text(app)
        assert "target 48, max micro batch 5" in shown and "4 × 6 × 2 = 48" in shown
        assert f"0.001 × lr_multiplier 0.5 × √48 = {0.0005 * math.sqrt(48):.4g}" in shown


@pytest.mark.slow
def test_training_uses_the_split_and_the_scaled_rate(tiny_model_dir: Path, tmp_path: Path) -> None:
    preset = base_preset(tiny_model_dir, tmp_path, target_effective_batch_size=8, max_micro_batch_size=3,
                         lr_batch_size_scaling="sqrt", lr_multiplier=0.5)
    del preset["micro_batch_size"], preset["gradient_accumulation_steps"]
    run_dir = make_run_dir(tmp_path, preset)
    assert run_train(run_dir).returncode == 0, log_text(run_dir)
    start = of_kind(run_dir, "start")[0]
    # 16 rows in steps of 8 (micro batch 2 × accumulation 4: 3 does not divide 8) on one process
    assert start["effective_batch_size"] == 8 and start["steps_per_epoch"] == 2
    steps = of_kind(run_dir, "step")
    assert [s["learning_rate"] for s in steps] == pytest.approx([3e-3 * 0.5 * math.sqrt(8)] * 2)  # constant
