"""Registry text is shown as written: square brackets ([assistant], [q_proj, v_proj]) are text, not Rich markup.

Every knob's teaching text goes through ``tunedeck explain`` (the list and each knob), the editor's help panel,
its F1 help, and a field's message line; every bracketed piece of it must come out on the other side.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from _tui_editor_helpers import plain, sync, write_preset
from rich.console import Console

from engine.cli import main
from engine.knobs import all_knobs, dataset_knobs
from engine.knobs.base import KnobInfo
from tui.app import TunedeckApp
from tui.kinds import UNSET
from tui.screens.help import knob_text
from tui.widgets.help_panel import render_help
from tui.widgets.knob_field import KnobField

KNOBS: list[KnobInfo] = list({k.path: k for k in (*all_knobs(), *dataset_knobs())}.values())
BRACKETED = re.compile(r"\[[^\[\]]*\]")


def flat(text: str) -> str:
    return " ".join(text.split())


def brackets(*texts: str) -> list[str]:
    return [flat(b) for text in texts for b in BRACKETED.findall(text)]


def rendered(renderable) -> str:
    console = Console(width=400, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return flat(console.export_text())


def test_the_registry_has_bracketed_text_to_check() -> None:
    assert len(brackets(*(t for k in KNOBS for t in (k.summary, k.what, k.cost, k.typical)))) >= 5


@pytest.mark.parametrize("knob", [k for k in KNOBS if brackets(k.summary, k.what, k.cost, k.typical)],
                         ids=lambda k: k.path)
def test_explain_and_the_help_show_every_bracket(knob: KnobInfo, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["explain", knob.path]) == 0
    cli = flat(capsys.readouterr().out)
    panel = rendered(render_help(knob, knob.path, UNSET))
    f1 = rendered(knob_text(knob, knob.path, UNSET))
    for piece in brackets(knob.summary, knob.what, knob.cost, knob.typical):
        assert piece in cli, f"tunedeck explain {knob.path}: {piece} is missing"
        assert piece in f1, f"F1 help on {knob.path}: {piece} is missing"
    for piece in brackets(knob.summary, knob.what, knob.cost, knob.typical):
        assert piece in panel, f"help panel on {knob.path}: {piece} is missing"


def test_the_explain_list_shows_every_summary_bracket(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["explain"]) == 0
    out = flat(capsys.readouterr().out)
    for knob in KNOBS:
        for piece in brackets(knob.summary):
            assert piece in out, f"tunedeck explain: {knob.path}'s {piece} is missing"


@sync
async def test_a_field_message_keeps_its_brackets(tmp_path: Path) -> None:
    app = TunedeckApp(write_preset(tmp_path), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = app.screen.query_one(KnobField)
        field.set_message("list layers such as [q_proj, v_proj], or [bold]all[/bold]")
        await pilot.pause()
        assert "[q_proj, v_proj], or [bold]all[/bold]" in plain(field.query_one(".knob-message"))
