"""F5 checks the machine and asks about standing warnings before launching (a step of its own, before the launch).

What this machine refuses (bf16: true without a GPU here, hidden by CUDA_VISIBLE_DEVICES="") stops the launch with
the reason; a standing warning opens a confirm that lists it: Cancel launches nothing, "Launch anyway" launches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _tui_editor_helpers import CHAT_PRESET, plain, sync, wait_until, write_preset
from _tui_run_helpers import Notices

from tui.app import TunedeckApp
from tui.screens.confirm_launch import ConfirmLaunch
from tui.screens.editor import EditorScreen

WARNED = "max_steps: 3\n"  # with num_epochs set too, max_steps wins: a warning, not an error


def preset(tmp_path: Path, extra: str) -> Path:
    text = CHAT_PRESET.replace("output_dir: ./outputs/editor-test", f"output_dir: {tmp_path / 'out'}")
    return write_preset(tmp_path, text=text + extra)


async def f5_until_confirm(app: TunedeckApp, pilot: Any) -> None:
    await pilot.pause()
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmLaunch))


@sync
async def test_a_standing_warning_is_shown_and_cancel_launches_nothing(tmp_path: Path) -> None:
    path = preset(tmp_path, WARNED)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await f5_until_confirm(app, pilot)
        shown = "\n".join(plain(w) for w in app.screen.query(".launch-warning"))
        assert "max_steps wins" in shown
        assert "tokenizer_use_fast" not in shown  # kept Axolotl keys are no warning to confirm
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        await pilot.pause(0.5)  # time itself: a launch, had one started, would have made its folder by now
        assert isinstance(app.screen, EditorScreen)
    assert not (tmp_path / "out").exists(), "cancel must not launch"


@sync
async def test_what_this_machine_refuses_is_refused_at_f5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # no GPU for this process, as torch would see it
    path = preset(tmp_path, WARNED + "bf16: true\n")
    app = TunedeckApp(path, count_data=False)
    notices = Notices()
    async with app.run_test(size=(120, 40), message_hook=notices) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await wait_until(pilot, lambda: "this machine cannot run it" in notices.text())
        assert "bf16: true, but this machine has no GPU" in notices.text()
        assert isinstance(app.screen, EditorScreen)  # refused outright: no confirm to click through
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@sync
async def test_launch_anyway_launches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from _runs_helpers import use_fake_trainer

    from tui.screens.run import RunScreen

    use_fake_trainer(monkeypatch, step_seconds=0.05)
    path = preset(tmp_path, WARNED)
    app = TunedeckApp(path, count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await f5_until_confirm(app, pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, RunScreen), timeout=120)
        assert app.screen.run_dir.parent == tmp_path / "out" / "runs"
