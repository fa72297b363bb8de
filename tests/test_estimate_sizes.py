"""Sizes and counts as the estimate prints them (engine.estimate.sizes): a tiny model's parts in MiB or KiB rather
than "0.00 GiB", real models' figures in GiB as before, parameter counts in B/M/K rather than "0.00B"."""

from __future__ import annotations

import pytest

from engine.estimate.sizes import count_text, size_text


@pytest.mark.parametrize(("gib", "digits", "text"), [
    (15.625, 2, "15.62 GiB"), (15.625, 1, "15.6 GiB"), (0.5, 2, "0.50 GiB"), (0.1, 1, "0.1 GiB"),
    (0.04, 2, "41 MiB"), (3.2 / 1024, 2, "3.2 MiB"), (0.15 / 1024, 2, "0.1 MiB"), (96 / 1024**2, 2, "96 KiB"),
    (0.2 / 1024**2, 2, "<1 KiB"), (0.0, 2, "0"),
])
def test_size_text(gib: float, digits: int, text: str) -> None:
    assert size_text(gib, digits) == text


@pytest.mark.parametrize(("n", "text"), [
    (8_030_261_248, "8.03B"), (124_439_808, "124.4M"), (449_216, "449.2K"), (96, "96"), (0, "0"),
])
def test_count_text(n: int, text: str) -> None:
    assert count_text(n) == text


def test_the_tiny_models_estimate_prints_no_zero_sizes(tmp_path) -> None:
    from _resume_helpers import tunedeck
    from _runs_helpers import write_preset

    preset = write_preset(tmp_path, gradient_checkpointing=True, activation_offloading=True)
    out = tunedeck("estimate", str(preset), "--no-data", "--gpu-memory", "24")
    assert out.returncode == 0, out.stderr
    assert "0.00" not in out.stdout and " MiB" in out.stdout and "K parameters" in out.stdout
