"""The TUI process and the CLI's start-up must not pull in the training stack (seconds of import time)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")


def command_modules() -> list[str]:
    import engine.commands

    return [f"engine.commands.{m.name}" for m in pkgutil.iter_modules(engine.commands.__path__)]


LIGHT = [
    "tui.cli", "tui.app", "engine", "engine.cli", "engine.preset", "engine.derive", "engine.advice",
    "engine.axolotl_keys", "engine.knobs", "engine.knobs.rules", "engine.runs.folder", "engine.runs.launch",
    "tui.screens.chat", "tui.model_process", "engine.infer.server", "engine.infer.source",
]


def loaded_heavy(code: str) -> list[str]:
    probe = code + f"\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_light_modules_do_not_import_the_training_stack() -> None:
    modules = LIGHT + command_modules()
    assert "engine.commands.validate" in modules and "engine.commands.new" in modules
    imports = "\n".join(f"import {m}" for m in modules)
    assert loaded_heavy(imports) == [], f"one of {modules} imports the training stack at module level"


def test_help_runs_without_the_training_stack() -> None:
    code = (
        "import contextlib, io\nfrom tui.cli import main\nbuf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n        main(['--help'])\n    except SystemExit as e:\n        assert e.code == 0, e.code\n"
        "assert 'validate' in buf.getvalue()\n"
    )
    assert loaded_heavy(code) == []


def test_help_exits_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "tui.cli", "--help"], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    for command in ("validate", "new"):
        assert command in result.stdout
