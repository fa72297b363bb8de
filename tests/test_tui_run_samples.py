"""The run screen's sample answers (issue 12): each prompt's answer at each evaluation beside its reference, reached
by keyboard and scrollable at 80×24, and perplexity and chrF charted beside the loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_run_helpers import FIXED_START, HostApp, finished_run, loaded, screen_text, wait_until, write_event
from textual.widgets import Label, Sparkline

from tui.formatting import format_number
from tui.screens.run import RunScreen
from tui.widgets.metrics import MetricChart
from tui.widgets.samples_pane import SamplesPane

pytestmark = pytest.mark.anyio

PROMPTS = [f"<|im_start|>user\nWhat grows on hill {n}?<|im_end|>\n<|im_start|>assistant\n" for n in range(1, 5)]
REFERENCES = [f"Blue moss grows on hill {n}." for n in range(1, 5)]
ANSWERS = {10: "Hill hill hill", 20: "Moss grows."}  # the same answer at each step for every prompt
SCORES = {10: (9.5, 21.0), 20: (3.25, 64.5)}  # (perplexity, chrF)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def run_with_samples(root: Path) -> Path:
    run_dir = finished_run(root, steps=20)
    for step, answer in ANSWERS.items():
        perplexity, chrf = SCORES[step]
        write_event(run_dir, "samples", FIXED_START + 3 * step, step=step, epoch=step / 10, perplexity=perplexity,
                    chrf=chrf, samples=[{"prompt": p, "reference": r, "answer": f"{answer} ({n})"}
                                        for n, (p, r) in enumerate(zip(PROMPTS, REFERENCES, strict=False), 1)])
    return run_dir


def chart_label(app: HostApp, chart_id: str) -> str:
    return str(app.screen.query_one(f"#{chart_id}", MetricChart).query_one(Label).render())


async def test_samples_show_each_answer_per_evaluation_beside_the_reference(tmp_path: Path) -> None:
    app = HostApp(lambda: RunScreen(run_with_samples(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        pane = app.screen.query_one(SamplesPane)
        assert not pane.display  # the log is shown first
        # Perplexity and chrF are charted beside the loss, their latest value and their best.
        assert "perplexity 3.25" in chart_label(app, "perplexity") and "min 3.25" in chart_label(app, "perplexity")
        assert "chrF 64.5" in chart_label(app, "chrf") and "max 64.5" in chart_label(app, "chrf")
        sparkline = app.screen.query_one("#chrf", MetricChart).query_one(Sparkline)
        assert list(sparkline.data or []) == [21.0, 64.5]
        assert await wait_until(pilot, lambda: "a Samples" in screen_text(app))  # the footer offers the key

        await pilot.press("a")
        assert await wait_until(pilot, lambda: pane.display and app.focused is pane
                                and "What grows on hill 1?" in screen_text(app))
        text = screen_text(app)
        assert "What grows on hill 1?" in text and "reference: Blue moss grows on hill 1." in text
        first = text.index("reference: Blue moss grows on hill 1.")
        assert first < text.index("step 10: Hill hill hill (1)") < text.index("step 20: Moss grows. (1)")
        # Four prompts do not fit 24 rows: the keyboard scrolls to the last one.
        assert "hill 4" not in text
        await pilot.press("end")
        assert await wait_until(pilot, lambda: "step 20: Moss grows. (4)" in screen_text(app))

        await pilot.press("a")  # back to the log
        assert await wait_until(pilot, lambda: not pane.display and app.focused is app.screen.query_one("#log"))


async def test_a_run_without_samples_offers_no_samples_key(tmp_path: Path) -> None:
    app = HostApp(lambda: RunScreen(finished_run(tmp_path, steps=20)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert "Samples" not in screen_text(app)
        assert not app.screen.query_one("#eval-charts").display
        await pilot.press("a")
        await pilot.pause()  # a key with no binding: nothing to wait for but its handling
        assert not app.screen.query_one(SamplesPane).display


@pytest.mark.slow
async def test_a_real_run_with_sample_answers_shows_them(tmp_path: Path) -> None:
    from tests._infer_helpers import train_demo
    from tests._train_helpers import of_kind

    run_dir = train_demo(tmp_path, rows=6, steps=20, val_set_size=2, eval_steps=10, sample_answers=2,
                         inference_max_new_tokens=12)
    samples = of_kind(run_dir, "samples")
    assert [event["step"] for event in samples] == [10, 20]
    app = HostApp(lambda: RunScreen(run_dir))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, app)
        assert f"chrF {format_number(samples[-1]['chrf'])}" in chart_label(app, "chrf")
        await pilot.press("a")
        pane = app.screen.query_one(SamplesPane)
        first = samples[0]["samples"][0]
        assert await wait_until(pilot, lambda: pane.display and "reference: " in screen_text(app))
        text = screen_text(app)
        assert f"reference: {first['reference'].splitlines()[0][:40]}" in text
        assert f"step 10: {(first['answer'].splitlines() or [''])[0][:40]}".rstrip() in text
