"""The run screen of a preference run (issue 15) shows trl's preference metrics beside the loss, each as its latest
number and a sparkline of the run: reward margin, accuracy, chosen and rejected rewards (DPO), KTO's KL."""

from __future__ import annotations

from pathlib import Path

import pytest
from _tui_run_helpers import FIXED_START, HostApp, loaded, make_run_dir, screen_text, write_event
from textual.widgets import Sparkline

from tui.formatting import format_number
from tui.screens.run import RunScreen

pytestmark = pytest.mark.anyio

STEPS = 6
MARGINS = [0.0, 0.02, 0.05, 0.1, 0.16, 0.25]
ACCURACIES = [0.0, 0.5, 0.5, 0.75, 1.0, 1.0]
CHOSEN = [0.0, 0.01, 0.03, 0.06, 0.09, 0.125]
KL = [0.0, 0.3, 0.5, 0.5, 0.75, 1.5]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def preference_run(root: Path, *, kto: bool = False, evaluated: bool = False) -> Path:
    run_dir = make_run_dir(root, "20260101-100000-dpo", status="finished")
    write_event(run_dir, "start", FIXED_START, total_steps=STEPS, num_epochs=1, steps_per_epoch=STEPS,
                effective_batch_size=4, num_processes=1, command="accelerate launch")
    for i in range(STEPS):
        fields = {"rewards_chosen": CHOSEN[i], "rewards_rejected": CHOSEN[i] - MARGINS[i],
                  "rewards_margin": MARGINS[i]}
        fields.update({"kl": KL[i]} if kto else {"rewards_accuracy": ACCURACIES[i]})
        write_event(run_dir, "step", FIXED_START + i + 1, step=i + 1, total_steps=STEPS, epoch=(i + 1) / STEPS,
                    loss=0.69 - 0.05 * i, learning_rate=1e-5, tokens_per_second=900.0, **fields)
    if evaluated:  # on the held-out pairs: their accuracy and margin beside the eval loss
        write_event(run_dir, "eval", FIXED_START + STEPS, step=STEPS, epoch=1.0, eval_loss=0.61,
                    eval_rewards_accuracy=0.875, eval_rewards_margin=0.42)
    write_event(run_dir, "finished", FIXED_START + STEPS + 1, step=STEPS, output_dir="out", adapter_dir="out")
    return run_dir


def sparkline(app: HostApp, field: str) -> list[float]:
    return list(app.screen.query_one(f"#metric-{field}").query_one(Sparkline).data or [])


async def test_a_dpo_run_shows_margin_accuracy_and_both_rewards(tmp_path: Path) -> None:
    app = HostApp(lambda: RunScreen(preference_run(tmp_path)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        text = screen_text(app)
        assert "loss " in text
        assert f"margin {format_number(MARGINS[-1])}" in text
        assert f"accuracy {format_number(ACCURACIES[-1])}" in text
        assert f"chosen {format_number(CHOSEN[-1])}" in text
        assert f"rejected {format_number(CHOSEN[-1] - MARGINS[-1])}" in text
        assert sparkline(app, "rewards_margin") == MARGINS
        assert sparkline(app, "rewards_accuracy") == ACCURACIES
        assert sparkline(app, "rewards_chosen") == CHOSEN
        assert not app.screen.query_one("#metric-kl").display  # DPO has no KL


async def test_an_evaluated_dpo_run_shows_the_held_out_pairs_accuracy_and_margin(tmp_path: Path) -> None:
    app = HostApp(lambda: RunScreen(preference_run(tmp_path, evaluated=True)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        text = screen_text(app)
        assert f"eval loss {format_number(0.61)} @ {STEPS}" in text
        assert f"eval accuracy {format_number(0.875, 3)}" in text and f"eval margin {format_number(0.42, 3)}" in text


async def test_a_kto_run_shows_its_kl(tmp_path: Path) -> None:
    app = HostApp(lambda: RunScreen(preference_run(tmp_path, kto=True)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        assert f"KL {format_number(KL[-1])}" in screen_text(app)
        assert sparkline(app, "kl") == KL
        assert not app.screen.query_one("#metric-rewards_accuracy").display


async def test_an_sft_run_shows_no_preference_metrics(tmp_path: Path) -> None:
    from _tui_run_helpers import finished_run

    app = HostApp(lambda: RunScreen(finished_run(tmp_path, steps=5)))
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, app)
        assert not app.screen.query_one("#preference-charts").display
        assert "margin" not in screen_text(app)
