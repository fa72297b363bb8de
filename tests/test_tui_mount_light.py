"""The editor on screen, estimate and all, without the training stack: importing torch cost the TUI's start-up
2.4 s (the estimate asked torch whether there is a GPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")
MOUNT = f"""
import asyncio, json, sys
from tui.app import TunedeckApp

async def main():
    app = TunedeckApp("presets/tiny-cpu-demo.yaml", count_data=False)
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "EditorScreen", app.screen
        assert app.screen.query_one("#estimate").report  # the estimate was made

asyncio.run(main())
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_the_mounted_editor_has_not_imported_the_training_stack() -> None:
    result = subprocess.run([sys.executable, "-c", MOUNT], capture_output=True, text=True, cwd=REPO, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
