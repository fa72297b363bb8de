"""Start-up: `import tui.app` pays only for what the first frame needs (issue 16: the TUI took 2.6x a minimal
Textual app to mount). Checked by what is imported and built, not by timing: the machine's load varies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from _tui_editor_helpers import REPO, show_section, sync, type_into, wait_until, write_preset

# What the editor's first frame does not need: the estimate (its numbers come after the first frame), the importers
# and the preset document (loaded on mount, when a preset is opened), the knob models (the catalogue has the facts).
NOT_AT_IMPORT = ("engine.estimate", "engine.importers", "engine.preset", "engine.knobs.config",
                 "engine.knobs.datasets", "engine.knobs.types")

PROBE = """
import inspect, json, sys
import tui.app
from pydantic import BaseModel
loaded = sorted({m for m in sys.modules if m.split(".")[0] == "engine"})
built = sorted(f"{name}.{cls.__name__}" for name, mod in list(sys.modules.items())
               if name.startswith("engine.knobs.")
               for _, cls in inspect.getmembers(mod, inspect.isclass)
               if issubclass(cls, BaseModel) and cls.__module__ == name and cls.__pydantic_complete__)
print(json.dumps({"loaded": loaded, "built": built}))
"""


DATA = "datasets:\n  - path: presets/tiny/chat.jsonl\n    type: chat_template\n"


def editor_app(tmp_path, top: str):
    """The app on a preset of the demo model, chat data and ``top`` (more top-level lines)."""
    from tui.app import TunedeckApp

    return TunedeckApp(write_preset(tmp_path, text=f"base_model: presets/tiny/model\n{top}{DATA}"), count_data=False)


def imported_by_tui_app() -> dict[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_app_loads_nothing_the_first_frame_does_not_need() -> None:
    loaded = imported_by_tui_app()["loaded"]
    early = [m for m in loaded if m.startswith(NOT_AT_IMPORT)]
    assert early == [], f"import tui.app loads {early}"


# Mounts the editor headless and reports, at the first frame Textual renders of it, what the process has loaded
# and what the base_model field shows; then lets the editor settle and reports what its first check found.
FIRST_FRAME_PROBE = """
import asyncio, json, sys
from tui.app import TunedeckApp

app = TunedeckApp(sys.argv[1], count_data=False)
seen = {}
display = app._display

def first_frame(screen, renderable):
    display(screen, renderable)
    if renderable is not None and screen.children and not seen:
        seen["modules"] = sorted(m for m in ("pydantic", "engine.knobs.config", "engine.importers.convert",
                                             "engine.estimate") if m in sys.modules)
        seen["base_model"] = screen.query_one("#knob-base-model Input").value
        seen["yaml_parser"] = "ruamel.yaml" in sys.modules

app._display = first_frame

async def main():
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        for _ in range(400):  # up to 20 s on a loaded machine; a few tenths of a second on an idle one
            await pilot.pause(0.05)
            if app.screen.state._problems is not None:
                break
        seen["problems"] = sorted(p.key for p in app.screen.state.problems)

asyncio.run(main())
print(json.dumps(seen))
"""


def test_the_first_frame_is_drawn_before_the_knob_models_are_built(tmp_path) -> None:
    """The editor's first frame shows the preset's values without pydantic, the knob models, the importers or the
    estimate loaded; the checks ``validate`` runs follow, and find what is wrong."""
    preset = write_preset(tmp_path, text=f"base_model: presets/tiny/model\nlearning_rate: -1\n{DATA}")
    result = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE, str(preset)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["modules"] == []
    assert seen["base_model"] == "presets/tiny/model"
    assert "learning_rate" in seen["problems"]


def test_a_preset_opened_before_is_drawn_before_the_yaml_parser_loads(tmp_path) -> None:
    """The second time a preset is opened, its values come from the first parse (remembered by the file's text):
    the first frame needs no ruamel (~20 ms to import and parse). The document is parsed right after, and the
    checks find the same problems."""
    preset = write_preset(tmp_path, text=f"base_model: presets/tiny/model\nlearning_rate: -1\n{DATA}")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUNEDECK_HOME": str(tmp_path / "home")}
    runs = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE, str(preset)], capture_output=True,
                                text=True, cwd=tmp_path, timeout=120, check=False, env=env)
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    first, second = runs
    assert first["yaml_parser"] and not second["yaml_parser"]
    assert second["base_model"] == first["base_model"] == "presets/tiny/model"
    assert second["problems"] == first["problems"] and "learning_rate" in second["problems"]


@sync
async def test_remembered_values_that_differ_from_the_file_are_replaced_by_the_file(tmp_path, monkeypatch) -> None:
    """Should the remembered values ever differ from what the file reads as, the editor shows the file."""
    from engine.preset import values_cache

    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    app = editor_app(tmp_path, "learning_rate: 0.001\n")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
    [entry] = values_cache.cache_dir().iterdir()
    stored = json.loads(entry.read_text())
    stored["values"]["base_model"] = "someone/else"
    entry.write_text(json.dumps(stored))
    app = editor_app(tmp_path, "learning_rate: 0.001\n")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "EditorScreen"
                                and app.screen.query("#knob-base-model")
                                and app.screen.query_one("#knob-base-model").control.value == "presets/tiny/model")
        assert not app.screen.state.dirty
    assert not entry.exists()


GC_PROBE = """
import asyncio, gc, json, sys
import tui.cli

seen = {}

def run(preset):  # tui.app.run_app, headless: what the collector does around the first frame
    from tui.app import app_for_this_process

    seen["paused_at_start"] = not gc.isenabled()
    app = app_for_this_process(preset, count_data=False)
    display = app._display

    def first_frame(screen, renderable):
        display(screen, renderable)
        if renderable is not None and screen.children and "at_first_frame" not in seen:
            seen["at_first_frame"] = gc.isenabled()

    app._display = first_frame

    async def main():
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            for _ in range(200):
                await pilot.pause(0.05)
                if gc.isenabled():
                    break
            seen["after"] = gc.isenabled()
            seen["frozen"] = gc.get_freeze_count()

    asyncio.run(main())
    return 0

import tui.app
tui.app.run_app = run
seen["exit"] = tui.cli.main([sys.argv[1]])
seen["at_exit"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_the_collector_is_paused_until_the_first_frame(tmp_path) -> None:
    """`tunedeck PRESET` starts with the garbage collector paused (its passes over start-up's long-lived objects
    cost ~20 ms of the first frame); the app freezes those objects and resumes it once the first frame is drawn."""
    preset = write_preset(tmp_path, text=f"base_model: presets/tiny/model\n{DATA}")
    result = subprocess.run([sys.executable, "-c", GC_PROBE, str(preset)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["paused_at_start"] and seen["at_first_frame"] is False
    assert seen["after"] is True and seen["frozen"] > 10_000
    assert seen["exit"] == 0 and seen["at_exit"] is True


@sync
async def test_the_editor_is_the_first_screen_and_another_preset_replaces_it(tmp_path) -> None:
    """The preset named at start opens as Textual's first screen (not pushed over a blank one). Textual cannot
    replace its first screen, so the next preset opened goes on top of it; the one after replaces that: the stack
    never grows past two editors, and each open shows the preset asked for."""
    from tui.screens.editor import EditorScreen

    app = editor_app(tmp_path, "learning_rate: 0.001\n")
    others = [write_preset(tmp_path, f"other{i}.yaml", f"base_model: some/model-{i}\n{DATA}") for i in (1, 2, 3)]
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["EditorScreen"]
        for i, other in enumerate(others, start=1):
            assert app.open_path(other)
            assert await wait_until(pilot, lambda o=other: isinstance(app.screen, EditorScreen)
                                    and app.screen.state.path == o and app.screen.query("#knob-base-model"))
            assert app.screen.query_one("#knob-base-model").control.value == f"some/model-{i}"
            assert app.editor is app.screen
            assert [type(s).__name__ for s in app.screen_stack] == ["EditorScreen", "EditorScreen"]


@sync
async def test_a_preset_that_cannot_be_opened_at_start_shows_the_open_screen(tmp_path) -> None:
    from tui.app import TunedeckApp

    broken = write_preset(tmp_path, "broken.yaml", "base_model: [unclosed\n")
    app = TunedeckApp(broken, count_data=False)
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "OpenScreen")
        assert app.editor is None
        assert "broken.yaml" in str(app.screen.query_one("#open-error").render())


def test_importing_the_app_builds_no_knob_model() -> None:
    """The knob models' validators are built on first use (a preset checked), not when the registry is read."""
    assert imported_by_tui_app()["built"] == []


@sync
async def test_the_editor_is_usable_right_after_mount(tmp_path) -> None:
    """One pause after start: fields, problems and the estimate are there, and a typed value reaches the preset."""
    app = editor_app(tmp_path, "learning_rate: -1\n")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "EditorScreen"
        assert screen.state.problems_by_key().get("learning_rate"), "the preset was checked"
        await wait_until(pilot, lambda: "learning_rate" in str(screen.query_one("#problem-summary").render()))
        assert "learning_rate" in str(screen.query_one("#problem-summary").render())
        await wait_until(pilot, lambda: screen.query_one("#estimate").report is not None)
        assert screen.query_one("#estimate").report is not None
        await type_into(pilot, "#knob-base-model", "presets/tiny/other")
        assert screen.state.raw("base_model") == "presets/tiny/other"


def model_fields(screen) -> list[str]:
    from tui.widgets.knob_field import KnobField

    return [f.path for f in screen.query_one("#section-model").query(KnobField)]


@sync
async def test_the_basic_view_builds_only_the_fields_it_shows(tmp_path) -> None:
    """The basic view shows one or two of the Model section's ten knobs: the others are built when all knobs are
    shown (ctrl+b) or one is asked for, each in its place, so a freshly opened editor mounts few widgets."""
    from engine.knobs.base import Section
    from engine.knobs.registry import knobs_by_section

    every = [k.key for k in knobs_by_section()[Section.MODEL] if k.parent is None]
    app = editor_app(tmp_path, "trust_remote_code: false\n")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert model_fields(screen) == ["base_model", "trust_remote_code"]  # the basic one and the one set
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: len(model_fields(screen)) == len(every))
        assert model_fields(screen) == every
        await type_into(pilot, "#knob-revision-of-model", "main")
        assert screen.state.raw("revision_of_model") == "main"
        await pilot.press("ctrl+b")  # back to basic: what was built stays, hidden
        await pilot.pause()
        assert model_fields(screen) == every


@sync
async def test_asking_for_a_knob_the_basic_view_left_out_builds_it(tmp_path) -> None:
    app = editor_app(tmp_path, "")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "tokenizer_config" not in model_fields(screen)
        assert await screen.focus_knob("tokenizer_config")
        await pilot.pause()
        assert screen.focused is screen.query_one("#knob-tokenizer-config").control
        assert not screen.has_class("-basic")


@sync
async def test_only_the_shown_section_is_built_on_open(tmp_path) -> None:
    """The other sections' forms are built when first shown, one on screen at a time, the nav order kept."""
    from textual.containers import VerticalScroll

    app = editor_app(tmp_path, "")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert [f.id for f in screen.query(".section-form")] == ["section-model"]
        await show_section(pilot, 3)
        await show_section(pilot, 1)
        forms = list(screen.query(".section-form").results(VerticalScroll))
        assert [f.id for f in forms] == ["section-model", "section-schedule", "section-datasets"]
        assert [f.id for f in forms if f.display] == ["section-datasets"]
        await show_section(pilot, 0)
        assert [f.id for f in forms if f.display] == ["section-model"]
        assert screen.query_one("#knob-base-model").control.value == "presets/tiny/model"


@sync
async def test_opening_a_preset_parses_its_file_once(tmp_path, monkeypatch) -> None:
    """The check for another tool's config reads the preset already loaded: parsing the YAML twice cost the
    first frame ~15 ms. Another tool's config still opens as an import (tests/test_tui_import_open.py)."""
    from ruamel.yaml.main import YAML

    loads: list[str] = []
    real_load = YAML.load

    def counted(self, stream):
        loads.append(str(stream)[:40])
        return real_load(self, stream)

    monkeypatch.setattr(YAML, "load", counted)
    app = editor_app(tmp_path, "learning_rate: 0.001\n")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "EditorScreen"
        assert app.screen.query_one("#knob-base-model").control.value == "presets/tiny/model"
    assert len(loads) == 1, loads


@sync
async def test_the_footer_is_built_again_only_when_its_keys_change(tmp_path, monkeypatch) -> None:
    """Textual's footer rebuilt its nine keys on every binding refresh (three times while the editor opened, each
    key restyled as it was made: ~16 ms a time); the editor's footer rebuilds only when what it shows changes."""
    from textual.widgets._footer import FooterKey

    made: list[str] = []
    real_init = FooterKey.__init__

    def counted(self, key, *args, **kwargs):
        made.append(key)
        real_init(self, key, *args, **kwargs)

    monkeypatch.setattr(FooterKey, "__init__", counted)
    app = editor_app(tmp_path, "")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        shown = [k.key for k in app.screen.query(FooterKey)]
        assert "f5" in shown and "ctrl+s" in shown
        await wait_until(pilot, lambda: len(made) >= len(shown))
        assert len(made) == len(shown), made
        await pilot.press("tab")  # into the Model section: the same keys
        await wait_until(pilot, lambda: app.screen.focused is not app.screen.query_one("#section-nav"))
        await pilot.pause()
        assert len(made) == len(shown), made
        assert [k.key for k in app.screen.query(FooterKey)] == shown
