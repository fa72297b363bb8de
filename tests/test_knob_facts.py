"""Every fact about a knob lives in ``knob()``: no list of knob names elsewhere restates one, and the code that
used to keep such lists (the preview's data knobs, the dataset card's basic and per-type knobs, the path knobs)
agrees with the registry."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from _tui_editor_helpers import REPO, TINY, show_section, sync, write_preset

from engine.knobs.registry import all_knobs, top_level_knobs
from tui.preview_runner import DATA_KNOBS

KNOB_NAMES = {name for k in all_knobs() for name in (k.key, *k.aliases)}
# Lists of knob names that state no fact about the knobs, each with why (path relative to the repository).
NOT_KNOB_FACTS = {
    "engine/importers": "maps another tool's setting names onto ours: facts about that tool",
    "tui/state.py:LIVE_KNOBS": "the inputs of engine.derive that the live panel shows",
    "engine/knobs/rules.py:LORA_KEYS": "a rule's own condition (LoRA settings without an adapter)",
    "engine/knobs/rules.py:_wandb": "a rule's own condition (W&B settings without wandb_project)",
    "engine/knobs/preference_rules.py": "the preference rules' own conditions (which rl method reads a knob)",
}


def _is_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal_names(node: ast.AST) -> list[str] | None:
    """The strings of a tuple/list/set literal made only of strings, or the keys of a dict that maps them to
    text (a fact per key, like the old TYPE_ONLY; a dict of values, an edit, is no such table); else None."""
    if isinstance(node, ast.Dict):
        facts = all(_is_text(v) or (isinstance(v, (ast.Tuple, ast.List)) and all(map(_is_text, v.elts)))
                    for v in node.values)
        elts = node.keys if facts else None
    else:
        elts = getattr(node, "elts", None)
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) or not elts:
        return None
    if not all(map(_is_text, elts)):
        return None
    return [e.value for e in elts if isinstance(e, ast.Constant)]


def _knob_name_lists(path: Path) -> list[tuple[str, int, list[str]]]:
    """(enclosing name, line, names) for each literal of ≥3 knob names outside a knob() call in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside_knob: set[int] = set()
    owner: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "knob":
            inside_knob.update(id(sub) for sub in ast.walk(node))
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.FunctionDef)):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", node)]
            name = node.name if isinstance(node, ast.FunctionDef) else getattr(targets[0], "id", "")
            for sub in ast.walk(node):
                owner.setdefault(id(sub), name)
    found = []
    for node in ast.walk(tree):
        names = _literal_names(node)
        if names and len(names) >= 3 and id(node) not in inside_knob and all(n in KNOB_NAMES for n in names):
            found.append((owner.get(id(node), ""), node.lineno, names))  # type: ignore[attr-defined]
    return found


def _allowed(rel: str, name: str) -> bool:
    return any(rel == key or rel.startswith(key + "/") or f"{rel}:{name}" == key for key in NOT_KNOB_FACTS)


def test_no_list_of_knob_names_outside_the_registry() -> None:
    stray = []
    for root in ("engine", "tui"):
        for path in sorted((REPO / root).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            stray += [f"{rel}:{line} {name}: {names}" for name, line, names in _knob_name_lists(path)
                      if not _allowed(rel, name)]
    assert not stray, "knob facts restated outside knob() (give knob() a flag and derive them):\n" + "\n".join(stray)


def test_the_scan_finds_a_restated_list(tmp_path: Path) -> None:
    """The scan above can fail: a tuple like the old DATA_KNOBS is found, one inside knob() is not."""
    module = tmp_path / "m.py"
    module.write_text('DATA = ("sequence_len", "seed", "datasets")\nx = knob(1, interacts=("seed", "rl", "tokens"))\n'
                      'ONLY = {"field": "completion", "roles": "chat_template", "train_on_eos": "chat_template"}\n'
                      'EDIT = {"micro_batch_size": 2, "sequence_len": 64, "seed": 1}\n')
    assert [(name, names) for name, _, names in _knob_name_lists(module)] == [
        ("DATA", ["sequence_len", "seed", "datasets"]), ("ONLY", ["field", "roles", "train_on_eos"])]


def _cfg_reads(folder: Path) -> set[str]:
    """Names the data code reads off the config: ``cfg.NAME`` and ``getattr(cfg, "NAME")``."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "cfg":
                names.add(node.attr)
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and node.args
                    and getattr(node.args[0], "id", None) == "cfg"):
                for sub in ast.walk(node.args[1] if len(node.args) > 1 else node):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        names.add(sub.value)
            if isinstance(node, ast.DictComp):  # {k: getattr(cfg, k) for k in ("sequence_len", ...)}
                for sub in ast.walk(node.generators[0].iter):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        names.add(sub.value)
    return names


def test_every_knob_the_data_code_reads_is_flagged_as_shaping_the_data() -> None:
    """What engine.data reads decides the rows and tokens, so the editor must recount when it changes."""
    where_not_what = {"dataset_prepared_path", "output_dir"}  # where the tokenized cache goes
    top = {k.key for k in top_level_knobs()}
    read = (_cfg_reads(REPO / "engine" / "data") & top) - where_not_what
    assert read - set(DATA_KNOBS) == set()


def test_the_dataset_card_and_explain_agree_on_the_basic_dataset_knobs(tmp_path: Path) -> None:
    from rich.console import Console

    from engine.explain import render_list

    console = Console(width=200, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(render_list(basic_only=True))
    listed = {line.split()[1].removeprefix("datasets[].") for line in console.export_text().splitlines()
              if line.strip().startswith("★ datasets[].")}
    card = asyncio_run(_card_fields(tmp_path, "chat_template"))
    assert listed == {key for key, (basic, _) in card.items() if basic}
    assert {"path", "type", "field_messages", "roles"} <= listed


def asyncio_run(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)


async def _card_fields(tmp_path: Path, dataset_type: str) -> dict[str, tuple[bool, bool]]:
    """{key: (shown in the basic view, shown for this type)} of datasets[0]'s card in the editor."""
    from tui.app import TunedeckApp
    from tui.widgets.knob_field import KnobField

    text = (f"base_model: {TINY / 'model'}\ndatasets:\n  - path: {TINY / 'chat.jsonl'}\n    type: {dataset_type}\n"
            f"output_dir: {tmp_path / 'out'}\n")
    app = TunedeckApp(write_preset(tmp_path, text=text), count_data=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await show_section(pilot, 1)
        fields = {f.path.rsplit(".", 1)[-1]: f for f in app.screen.query(KnobField) if f.path.startswith("datasets.0.")}
        return {key: (not f.has_class("-advanced"), not f.has_class("-other-type")) for key, f in fields.items()}


@pytest.mark.parametrize(("dataset_type", "shown", "hidden"), [
    ("completion", {"field"}, {"chat_template_jinja", "field_messages", "field_chosen"}),
    ("chat_template", {"field_messages", "chat_template_jinja", "roles"}, {"field", "field_chosen"}),
    ("chat_template.default", {"field_messages", "field_chosen", "field_rejected", "roles"}, {"field"}),
])
def test_the_dataset_card_asks_what_its_type_reads(tmp_path: Path, dataset_type: str, shown: set[str],
                                                   hidden: set[str]) -> None:
    card = asyncio_run(_card_fields(tmp_path, dataset_type))
    assert {key for key in shown | hidden if card[key][1]} == shown


JINJA = "{% for m in messages %}{{ '### ' + m['role'] + ':\\n' + m['content'] + '\\n' }}{% endfor %}"
LONGER = "{% for m in messages %}{{ '##### said by ' + m['role'] + ':\\n' + m['content'] + '\\n' }}{% endfor %}"


def _jinja_preset(tmp_path: Path) -> Path:
    text = (f"base_model: {TINY / 'model'}\ndatasets:\n  - path: {TINY / 'chat.jsonl'}\n    type: chat_template\n"
            f"chat_template: jinja\nchat_template_jinja: \"{JINJA}\"\nsequence_len: 256\nmicro_batch_size: 2\n"
            f"output_dir: {tmp_path / 'out'}\n")
    return write_preset(tmp_path, "jinja.yaml", text)


def test_a_jinja_template_counts_in_the_editor_as_preview_counts_it(tmp_path: Path) -> None:
    from engine.preset import load_preset
    from tui.preview_runner import data_subset, run_preview

    path = _jinja_preset(tmp_path)
    plain = json.loads(json.dumps(dict(load_preset(path).doc), default=str))  # as the editor does
    result = run_preview(data_subset(plain, path))
    assert result.error is None, result.error_text()
    cli = subprocess.run([sys.executable, "-m", "engine.cli", "preview", str(path), "-n", "0", "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=300, check=True)
    assert result.stats == json.loads(cli.stdout.strip().splitlines()[-1])["stats"]


@sync
async def test_editing_chat_template_jinja_recounts(tmp_path: Path) -> None:
    from tui.app import TunedeckApp

    app = TunedeckApp(_jinja_preset(tmp_path), count_data=True)
    async with app.run_test(size=(120, 40)) as pilot:
        counts = app.screen.state.counts
        await _counted(pilot, counts, None)
        assert counts.error is None and counts.tokens
        before = counts.tokens
        await show_section(pilot, 1)
        app.screen.query_one("#knob-chat-template-jinja").control.value = LONGER
        await _counted(pilot, counts, before)
        assert counts.error is None and counts.tokens > before  # every turn's header grew


async def _counted(pilot, counts, old: int | None) -> None:  # type: ignore[no-untyped-def]
    """Wait (up to 5 min: a subprocess loads the tokenizer) for a count other than ``old``, or an error."""
    for _ in range(600):
        await pilot.pause(0.5)
        if counts.error is not None or (not counts.counting and counts.tokens not in (None, old)):
            return
    raise AssertionError("the data was not counted")
