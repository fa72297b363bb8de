"""engine.runs is the one reader of a run folder (issue 11 §1): `tunedeck runs` and the F6 list agree on every kind
of run, asking a status never writes, the reporter, the failure summary and the log pane show the same log rows,
no TUI module names a run file, and no module-level import circle exists among engine/ and tui/."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _runs_helpers import REPO
from _tui_run_helpers import (
    HostApp,
    failed_run,
    finished_run,
    kill_group,
    make_run_dir,
    start_fake_trainer,
    wait_until,
    write_event,
    write_log,
)
from textual.widgets import DataTable

from engine.runs import folder
from engine.runs.index import register_run
from engine.runs.listing import list_runs
from engine.runs.log_tail import LogTail, tail_lines
from engine.runs.status import record_outcome, run_info, run_status
from engine.train.failures import log_tail
from tui.screens.runs import RunsScreen

DEAD_PID = 2**22 + 11  # above the default pid_max: never a live process


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    return tmp_path


def _every_kind_of_run(root: Path) -> list[Path]:
    """Finished, failed, stopped, dead (claims to run, its process is gone) and unreadable runs."""
    stopped = make_run_dir(root / "s", "20260101-100000-stopped", status="running")
    write_event(stopped, "start", total_steps=40, resumed_from_step=10)
    write_event(stopped, "step", step=17, total_steps=40, loss=1.25)
    write_event(stopped, "stopped", step=18, checkpoint="out/checkpoint-18")
    dead = make_run_dir(root / "d", "20260101-100000-dead", status="running", pid=DEAD_PID, pgid=DEAD_PID)
    write_event(dead, "start", total_steps=9)
    write_event(dead, "step", step=3, total_steps=9, loss=2.5)
    unreadable = make_run_dir(root / "u", "20260101-100000-unreadable")
    (unreadable / folder.STATE_FILE).write_text('{"run_id": "cut sh')
    return [finished_run(root / "f"), failed_run(root / "x"), stopped, dead, unreadable]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_tunedeck_runs_and_the_f6_list_agree_on_every_kind_of_run(home: Path) -> None:
    runs = _every_kind_of_run(home)
    live = make_run_dir(home / "l", "20260101-100000-live")
    proc = start_fake_trainer(live, steps=400, step_seconds=0.2)
    try:
        for run_dir in [*runs, live]:
            register_run(run_dir)
        assert await_step(live)
        from_cli = _tunedeck_runs()
        app = HostApp(lambda: RunsScreen(refresh_interval=60))
        async with app.run_test(size=(160, 40)) as pilot:
            table = app.screen.query_one(DataTable)
            assert await wait_until(pilot, lambda: table.row_count == 6)
            from_list = {str(table.get_row_at(i)[0]): (str(table.get_row_at(i)[1]), str(table.get_row_at(i)[2]))
                         for i in range(table.row_count)}
    finally:
        kill_group(proc)
    assert {k: v[0] for k, v in from_cli.items()} == {k: v[0] for k, v in from_list.items()} == {
        "20260101-100000-chat": "finished", "20260101-100000-broken": "failed",
        "20260101-100000-stopped": "stopped", "20260101-100000-dead": "failed",
        "20260101-100000-unreadable": "unreadable", "20260101-100000-live": "running",
    }
    for run_id in ("20260101-100000-chat", "20260101-100000-stopped", "20260101-100000-dead"):
        assert from_list[run_id][1].startswith(f"{from_cli[run_id][1]}/"), run_id  # "18/40 (from 10)"
    assert from_list["20260101-100000-stopped"][1] == "18/40 (from 10)"


def _tunedeck_runs() -> dict[str, tuple[str, int | None]]:
    """`tunedeck runs --json`, in its own process: run id -> (status, step)."""
    cli = subprocess.run([sys.executable, "-m", "engine.cli", "runs", "--json"], cwd=REPO, capture_output=True,
                         text=True, timeout=60, env={**os.environ}, check=False)
    assert cli.returncode == 0, cli.stderr
    return {r["run_id"]: (r["status"], r["step"]) for r in json.loads(cli.stdout)}


def await_step(run_dir: Path, timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(e.get("event") == "step" for e in folder.read_events(run_dir)):
            return True
        time.sleep(0.1)
    return False


def test_asking_the_status_never_writes_and_recording_is_its_own_call(home: Path) -> None:
    runs = _every_kind_of_run(home)
    for run_dir in runs:
        register_run(run_dir)
    before = {run_dir: (run_dir / folder.STATE_FILE).read_bytes() for run_dir in runs}
    dead = runs[3]
    assert run_status(dead) == "failed" and "without a final event" in str(run_info(dead).message)
    assert [r.status for r in list_runs()].count("failed") == 2
    assert {run_dir: (run_dir / folder.STATE_FILE).read_bytes() for run_dir in runs} == before

    assert record_outcome(dead).status == "failed"
    state = folder.read_state(dead)
    assert state["status"] == "failed" and "without a final event" in state["message"] and state["ended_at"]
    stopped = runs[2]
    record_outcome(stopped)  # state.json said running; its final event says stopped
    assert folder.read_state(stopped)["status"] == "stopped"
    unreadable = runs[4]
    record_outcome(unreadable)  # damaged: never overwritten
    assert (unreadable / folder.STATE_FILE).read_bytes() == before[unreadable]


def test_the_reporter_the_failure_summary_and_the_log_pane_show_the_same_rows(tmp_path: Path) -> None:
    run_dir = make_run_dir(tmp_path)
    # tqdm redraws with "\r", a shorter redraw over a longer one, and a nested bar drawn with cursor-up.
    write_log(run_dir, "loading\n  0%|  | 0/3\r 50%|#####     | 1/2\rdone\n"
              "train  10%|#\neval   0%|\n\x1b[1A\x1b[2Ktrain  20%|##\n\x1b[31msaved\x1b[0m\nlast\n")
    log = folder.log_path(run_dir)
    pane = LogTail(log)
    chunk = pane.read()
    shown_by_pane = [row for row in folder_plain(chunk.lines + chunk.live) if row.strip()]
    printed = LogTail(log, start_at=0).read_lines(flush=True)
    assert printed == shown_by_pane == tail_lines(log, 50) == log_tail(log, 50).splitlines()
    assert printed == ["loading", "done|#####     | 1/2", "train  10%|#", "train  20%|##", "saved", "last"]


def folder_plain(rows: list[str]) -> list[str]:
    from engine.runs.log_tail import ANSI

    return [ANSI.sub("", row).rstrip() for row in rows]


RUN_FILES = ("events.jsonl", "state.json", "train.log")
RUN_FILE_NAMES = ("EVENTS_FILE", "STATE_FILE", "LOG_FILE")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def test_no_tui_module_opens_a_run_file_itself() -> None:
    """The TUI reads a run folder only through engine.runs: it never names events.jsonl, state.json or train.log."""
    offenders = []
    for path in sorted((REPO / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Attribute) and node.attr in RUN_FILE_NAMES) or (
                isinstance(node, ast.Name) and node.id in RUN_FILE_NAMES) or (
                isinstance(node, ast.alias) and node.name in RUN_FILE_NAMES)
            spelled = (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                       and any(name in node.value for name in RUN_FILES))
            if named or spelled:
                offenders.append(f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}")
    assert offenders == []


# Modules allowed in a module-level circle, with the reason.
KNOWN_CIRCLE: set[str] = set()  # none: rule modules register into engine.knobs.rule_registry


def _module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads: its body, and inside if/try at that level (not TYPE_CHECKING)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            found += _top_level_imports(node.body) + _top_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            found += _top_level_imports(node.body) + _top_level_imports(node.orelse)
            for handler in node.handlers:
                found += _top_level_imports(handler.body)
    return found


def _imported_modules(path: Path, known: set[str], root: Path = REPO) -> set[str]:
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        for alias in node.names:  # `from pkg import sub` depends on the submodule, not on all of pkg
            found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    # A module's own packages load before it whatever it imports: that is no circle.
    return {m for m in found & known if m != name and not name.startswith(m + ".")}


def import_circles(root: Path = REPO) -> list[frozenset[str]]:
    paths = {_module_name(p, root): p for top in ("engine", "tui") for p in (root / top).rglob("*.py")}
    graph = {name: _imported_modules(path, set(paths), root) for name, path in paths.items()}
    circles = []
    seen: set[str] = set()
    for start in sorted(graph):  # the modules that reach back to ``start``: its strongly connected part
        if start in seen:
            continue
        reach = _reachable(graph, start)
        part = frozenset(m for m in reach if start in _reachable(graph, m))
        if part:
            circles.append(part | {start})
            seen |= part
    return circles


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    found: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += graph[name]
    return found


def test_no_import_circles_among_engine_and_tui() -> None:
    assert [sorted(c) for c in import_circles() if not c <= KNOWN_CIRCLE] == []


def test_the_circle_finder_finds_a_planted_circle(tmp_path: Path) -> None:
    """rules.py once imported rule modules that imported it back: the finder must see that shape."""
    knobs = tmp_path / "engine" / "knobs"
    knobs.mkdir(parents=True)
    (tmp_path / "tui").mkdir()
    for name in ("__init__.py",):
        (tmp_path / "engine" / name).write_text("")
        (knobs / name).write_text("")
    (knobs / "rules.py").write_text("def rule(fn):\n    return fn\n\nfrom . import extra_rules\n")
    (knobs / "extra_rules.py").write_text("from .rules import rule\n")
    (knobs / "leaf.py").write_text("from .rules import rule\n")
    assert import_circles(tmp_path) == [frozenset({"engine.knobs.rules", "engine.knobs.extra_rules"})]
