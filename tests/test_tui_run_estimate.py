"""The run screen shows the pre-launch estimate (made once from the run's preset.yaml, in a worker) beside what
the run measured: the time range beside the ETA or elapsed time, the expected memory beside the peak GPU memory
the step events carry (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _tui_run_helpers import FIXED_START, HostApp, loaded, make_run_dir, screen_text, wait_until, write_event

from engine.estimate.report import report_for
from engine.preset import load_config
from engine.runs import folder
from tui.screens.run import RunScreen

pytestmark = pytest.mark.anyio
STEPS = 100
LLAMA_ON_A100 = """\
base_model: meta-llama/Meta-Llama-3-8B-Instruct
datasets:
  - path: data.jsonl
    type: chat_template
sequence_len: 4096
micro_batch_size: 2
gradient_accumulation_steps: 2
adapter: lora
lora_target_linear: true
target_gpu: A100-80GB
output_dir: ./outputs/run-estimate-test
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def run_on_a_gpu(root: Path) -> Path:
    """A finished run of a Llama 3 8B LoRA planned for an A100 (its shape is bundled: no download), whose steps
    measured peak GPU memory."""
    run_dir = make_run_dir(root, status="finished")
    (run_dir / folder.PRESET_FILE).write_text(LLAMA_ON_A100)
    write_event(run_dir, "start", FIXED_START, total_steps=STEPS, num_epochs=1, steps_per_epoch=STEPS,
                effective_batch_size=4, num_processes=1, command="accelerate launch")
    memory = {"peak_memory_allocated_gib": 21.5, "peak_memory_reserved_gib": 23.5}
    for step in range(1, STEPS + 1):
        write_event(run_dir, "step", FIXED_START + 3 * step, step=step, total_steps=STEPS, epoch=step / STEPS,
                    loss=1.0, tokens_per_second=2048.0, eta_seconds=3.0 * (STEPS - step), **memory)
    write_event(run_dir, "finished", FIXED_START + 3 * STEPS + 1, step=STEPS, output_dir="out")
    return run_dir


async def test_peak_memory_and_time_are_shown_beside_the_estimate(tmp_path: Path) -> None:
    run_dir = run_on_a_gpu(tmp_path)
    preset = run_dir / folder.PRESET_FILE
    expected = report_for(load_config(preset), preset).memory.expected
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot, app)
        # the peak memory's estimate and the time's, both drawn
        drawn = ("), estimated", "· estimated")
        assert await wait_until(pilot, lambda: all(part in screen_text(app) for part in drawn))
        text = screen_text(app)
        assert f"peak GPU memory 21.5 GiB (reserved 23.5), estimated {expected:.3g}" in text
        took = re.search(r"took 5m01s · estimated (\S+)–(\S+)", text)
        assert took, text
        assert took.group(1) != took.group(2)  # a range: low and high utilisation


async def test_a_run_whose_model_is_unknown_shows_what_it_measured_and_no_estimate(tmp_path: Path) -> None:
    run_dir = run_on_a_gpu(tmp_path)
    (run_dir / folder.PRESET_FILE).write_text(LLAMA_ON_A100.replace("meta-llama/Meta-Llama-3-8B-Instruct",
                                                                    "someone/unknown"))
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(140, 40)) as pilot:
        await loaded(pilot, app)
        assert await wait_until(pilot, lambda: isinstance(app.screen.estimate, str))
        text = screen_text(app)
        assert "peak GPU memory 21.5 GiB (reserved 23.5)" in text and "estimated" not in text


def test_the_runs_own_data_sizes_its_estimate(tmp_path: Path) -> None:
    """The start event carries the prepared data's longest row and tokens per epoch: the estimate beside the run's
    measurements pads batches to that row (not to sequence_len, which overstated a chat run's memory 4×) and times
    the real tokens."""
    from engine.runs.estimate import run_estimate
    from engine.runs.view import RunView

    run_dir = run_on_a_gpu(tmp_path)
    full = run_estimate(run_dir, STEPS)
    view = RunView()
    view.apply({"event": "start", "steps_per_epoch": STEPS, "longest_row": 300, "tokens_per_epoch": 90_000})
    assert view.data == {"longest_row": 300, "tokens_per_epoch": 90_000}
    short = run_estimate(run_dir, STEPS, view.data)
    assert not isinstance(full, str) and not isinstance(short, str)
    assert short.memory.expected < full.memory.expected
    assert short.memory.high == full.memory.high  # the worst case still fills sequence_len
    assert short.time is not None and full.time is not None and short.time.high_s < full.time.high_s


def test_the_trainer_tells_viewers_the_data_facts() -> None:
    from engine.knobs import Config
    from engine.train.run import data_facts

    cfg = Config(base_model="m", datasets=[{"path": "d.jsonl", "type": "completion"}])
    assert data_facts(cfg, {"longest_row": 120, "tokens": 5000, "rows": 50, "train_rows": 40}) == {
        "longest_row": 120, "tokens_per_epoch": 4000}
    assert data_facts(cfg, {}) == {}
