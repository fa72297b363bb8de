"""The one fold of a run's events (engine.runs.view): what the run screen, the runs list, `tunedeck runs`, attach
and the reporter all know about a run, including the peak GPU memory and any other numbers the trainer adds."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_run_helpers import HostApp, finished_run, loaded, screen_text, write_event

from engine.runs.status import run_info
from engine.runs.view import fold
from tui.screens.run import RunScreen


def _steps_with_memory() -> list[dict[str, object]]:
    return [
        {"event": "start", "time": 1.0, "total_steps": 3, "command": "accelerate launch x"},
        {"event": "step", "time": 2.0, "step": 1, "loss": 2.0, "peak_memory_allocated_gib": 10.5,
         "peak_memory_reserved_gib": 12.0, "rewards/margins": 0.1},
        {"event": "step", "time": 3.0, "step": 2, "loss": 1.5, "peak_memory_allocated_gib": 11.25,
         "peak_memory_reserved_gib": 11.5, "rewards/margins": 0.4, "note": "text is not a metric"},
        {"event": "samples", "time": 4.0, "step": 2, "samples": [{"prompt": "hi", "answer": "hello"}]},
        {"event": "step", "time": 5.0, "step": 3, "loss": 1.25},
        {"event": "finished", "time": 6.0, "step": 3, "output_dir": "out"},
    ]


def test_the_fold_keeps_the_peak_memory_every_numeric_step_field_and_samples() -> None:
    view = fold(_steps_with_memory())
    assert view.peak_memory == {"peak_memory_allocated_gib": 11.25, "peak_memory_reserved_gib": 12.0}  # largest
    assert view.metrics["rewards/margins"] == 0.4 and "note" not in view.metrics  # a preference metric, generically
    assert (view.loss, view.step, view.ended_as, view.command) == (1.25, 3, "finished", "accelerate launch x")
    assert view.samples[0]["samples"][0]["answer"] == "hello"
    assert view.losses.values == [2.0, 1.5, 1.25]


def test_status_folds_through_the_same_view(tmp_path: Path) -> None:
    run_dir = finished_run(tmp_path, steps=20)
    info = run_info(run_dir)
    assert (info.status, info.step, info.total_steps, info.loss) == ("finished", 20, 20, info.view.loss)
    assert info.view.ended_as == "finished"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_run_screen_shows_the_peak_gpu_memory_when_the_events_carry_it(tmp_path: Path) -> None:
    cpu = finished_run(tmp_path / "cpu", steps=20)
    gpu = finished_run(tmp_path / "gpu", steps=20)
    write_event(gpu, "step", step=20, total_steps=20, loss=0.4, peak_memory_allocated_gib=7.25,
                peak_memory_reserved_gib=8.5)
    for run_dir, expected in ((gpu, "peak GPU memory 7.25 GiB (reserved 8.5)"), (cpu, None)):
        app = HostApp(lambda run_dir=run_dir: RunScreen(run_dir))
        async with app.run_test(size=(140, 30)) as pilot:
            await loaded(pilot, app)
            text = " ".join(screen_text(app).split())
            if expected:
                assert expected in text
            else:
                assert "peak GPU memory" not in text  # a CPU run measures none: nothing shown
