"""Every dialog at 80×24 with long content (long paths, many warnings, a long YAML and diff): it starts on screen,
its buttons and the focused widget stay in view, and what does not fit scrolls inside it (its last line can be
reached with the keyboard)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from _tui_run_helpers import HostApp, screen_text, wait_until
from rich.text import Text
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import Button

from engine.knobs.problems import Problem
from engine.knobs.registry import get_knob
from engine.preset.document import Preset
from tui.screens.confirm import ConfirmUnsaved
from tui.screens.confirm_launch import ConfirmLaunch
from tui.screens.estimate_help import EstimateHelpScreen
from tui.screens.help import HelpScreen
from tui.screens.remote_code import RemoteCodeConsent
from tui.screens.save_as import SaveAsScreen
from tui.screens.yaml_view import YamlScreen
from tui.state import EditorState

pytestmark = pytest.mark.anyio
SIZE = (80, 24)
DEEP = "/home/someone/" + "".join(f"projects-{i}/" for i in range(12))  # a path longer than two screen lines


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Dialog:
    make: Callable[[], Screen[Any]]
    first: str  # the start of its first line
    last: str  # the start of its last line, reached by scrolling
    keys: tuple[str, ...] = field(default=("end",))  # what a user presses to see the end


def warnings() -> list[Problem]:
    return [Problem(f"datasets.{i}.path", f"{DEEP}data-{i}.jsonl is large: counting its rows takes a while; "
                    "consider a smaller sample while you try settings.", "warning") for i in range(12)]


def long_help() -> HelpScreen:
    return HelpScreen(get_knob("gradient_accumulation_steps"), "gradient_accumulation_steps", 4)


# A new preset (nothing on disk: the diff is every line) taller than the screen, with Axolotl keys it keeps.
KEPT = ["tokenizer_use_fast", "tokenizer_legacy", "tokenizer_use_mistral_common", "dataloader_pin_memory",
        "dataset_keep_in_memory", "do_bench_eval", "shrink_embeddings", "mean_resizing_embeddings"]
LONG_PRESET = ("base_model: tiny/model\ndatasets:\n  - path: tiny/chat.jsonl\n    type: chat_template\n"
               + "".join(f"# note {i}: {'a comment the YAML keeps ' * 2}\n" for i in range(30))
               + "".join(f"{key}: true\n" for key in KEPT) + "output_dir: ./outputs/the-last-line\n")


def yaml_view() -> YamlScreen:
    return YamlScreen(EditorState(Preset(LONG_PRESET), path=None))


DIALOGS = {
    "confirm-unsaved": Dialog(lambda: ConfirmUnsaved("opening the run's preset"), "The preset has unsaved",
                              "The preset has unsaved"),
    "remote-code": Dialog(lambda: RemoteCodeConsent(("some-organisation/" + "a-very-long-model-name-" * 3,
                                                     "another-organisation/tokenizer-" + "x" * 40),
                                                    DEEP + "preset.yaml"),
                          "Run code from", "Allow it only if you trust"),
    "launch-warnings": Dialog(lambda: ConfirmLaunch(warnings()), "12 warnings still stand", "datasets.11.path:"),
    "save-as": Dialog(lambda: SaveAsScreen(DEEP + "my-preset.yaml"), "Save the preset as", "Save the preset as"),
    "knob-help": Dialog(long_help, "gradient_accumulation_steps", "Lists are comma-separated"),
    "estimate-help": Dialog(lambda: EstimateHelpScreen(Text("\n".join(f"part {i}: {'words ' * 20}"
                                                                       for i in range(40)))), "part 0:", "part 39:"),
    "yaml-diff": Dialog(yaml_view, "--- new preset (on disk)", "+output_dir: ./outputs/the-last-line"),
    "yaml-full": Dialog(yaml_view, "--- new preset (on disk)", "output_dir: ./outputs/the-last-line",
                        keys=("right", "end")),
}


def on_screen(region: Region) -> bool:
    return region.area > 0 and Region(0, 0, *SIZE).contains_region(region)


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_a_dialog_fits_80x24_and_scrolls_inside_itself(name: str) -> None:
    dialog = DIALOGS[name]
    app = HostApp(dialog.make)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_until(pilot, lambda: app.screen.is_modal and app.screen.is_mounted)
        assert await wait_until(pilot, lambda: dialog.first in screen_text(app)), screen_text(app)
        for button in app.screen.query(Button):
            assert on_screen(button.region), f"{button.label} at {button.region}"
            assert str(button.label) in screen_text(app)
        assert app.focused is not None and on_screen(app.focused.region), app.focused
        await pilot.press(*dialog.keys)
        assert await wait_until(pilot, lambda: dialog.last in screen_text(app)), screen_text(app)
        for button in app.screen.query(Button):
            assert on_screen(button.region), f"{button.label} at {button.region} after scrolling"
        assert app.focused is not None and on_screen(app.focused.region), app.focused


async def test_the_editor_keys_read_one_per_row_at_80x24() -> None:
    """Each key of the editor's help sits on its row with the start of what it does (two columns of keys wrapped
    into each other's lines at 80 columns: "esc  back to the" / "section list"). 80 columns wide, and tall enough
    that the dialog (which scrolls at 24 rows) shows every key at once: the wrapping is what is checked."""
    app = HostApp(lambda: HelpScreen(None, None, None))
    async with app.run_test(size=(SIZE[0], 80)) as pilot:
        assert await wait_until(pilot, lambda: "tunedeck editor — keys" in screen_text(app))
        for keys, what in (("escape", "Back to the section list"), ("ctrl+t", "Show or hide the live panel"),
                           ("f3", "The preset as YAML"), ("ctrl+o", "Open another preset"),
                           ("ctrl+p", "Command palette (every action)")):
            assert await wait_until(pilot, lambda k=keys, w=what: any(
                re.search(rf"(^|\s){re.escape(k)}\s+{re.escape(w)}", row) for row in screen_text(app).splitlines()))
