"""Peak GPU memory in the step events: what torch's allocator measured, or nothing at all on a CPU."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from engine.train.callbacks import peak_gpu_memory  # noqa: E402


def test_a_cpu_run_records_no_memory_figure() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert peak_gpu_memory() == {}


def test_peaks_are_read_from_the_cuda_allocator_in_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda *a, **k: 3 * 2**30)
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda *a, **k: 5 * 2**29)
    assert peak_gpu_memory() == {"peak_memory_allocated_gib": 3.0, "peak_memory_reserved_gib": 2.5}


def test_cuda_present_but_unused_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CPU run on a GPU machine (TUNEDECK_FORCE_CPU) never initialises CUDA: no zero is reported as a peak."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    assert peak_gpu_memory() == {}
