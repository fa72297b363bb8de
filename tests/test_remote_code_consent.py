"""No code from a model repository runs without consent (trust_remote_code), and the background count/preview
subprocesses never pile up. Real subprocesses (the engine's CLI), Textual's Pilot for the app."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _tui_editor_helpers import REPO, TINY, live_text, sync, wait_until, write_preset

from tui import preview_runner
from tui.app import TunedeckApp
from tui.consent import CONSENT_FILE
from tui.screens.editor import EditorScreen
from tui.screens.remote_code import RemoteCodeConsent

REMOTE_PRESET = f"""\
base_model: {TINY / 'model'}
trust_remote_code: true   # someone sent this preset
datasets:
  - path: {TINY / 'chat.jsonl'}
    type: chat_template
sequence_len: 128
micro_batch_size: 2
output_dir: ./outputs/remote-code-test
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNEDECK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def preview_children() -> list[int]:
    """Live processes under this one running the engine's preview command (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat[stat.rfind(")") + 2:].split()[:2]
        if state not in "ZX" and b"engine.cli" in cmdline and b"preview" in cmdline and _descends(int(ppid)):
            found.append(int(entry.name))
    return found


def _descends(pid: int) -> bool:
    me = os.getpid()
    while pid > 1:
        if pid == me:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat[stat.rfind(")") + 2:].split()[1])
    return False


# --- the app asks before anything loads the model ----------------------------------------------------------

@pytest.mark.slow
@sync
async def test_opening_a_trust_remote_code_preset_loads_nothing_until_allowed(tmp_path: Path, home: Path) -> None:
    path = write_preset(tmp_path, "sent.yaml", REMOTE_PRESET)
    app = TunedeckApp(path, count_data=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RemoteCodeConsent))
        dialog = app.screen
        assert str(TINY / "model") in str(dialog.query_one("#remote-code-question").render())
        assert "trust_remote_code" in str(dialog.query_one("#remote-code-question").render())
        end = time.monotonic() + 3 * 0.8  # well past the count's debounce
        while time.monotonic() < end:
            assert preview_children() == []  # nothing loads the tokenizer while the question stands
            await pilot.pause(0.1)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        for _ in range(240):
            await pilot.pause(0.5)
            if not app.screen.state.counts.counting:
                break
        assert app.screen.state.counts.error is None and app.screen.state.counts.rows == 120
    assert str(path.resolve()) in (home / CONSENT_FILE).read_text()

    again = TunedeckApp(path, count_data=True)  # asked once: the next open counts straight away
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(again.screen, EditorScreen))
        for _ in range(240):
            await pilot.pause(0.5)
            assert not isinstance(again.screen, RemoteCodeConsent)
            if again.screen.state.counts.rows is not None:
                break
        assert again.screen.state.counts.rows == 120


@sync
async def test_not_now_leaves_the_model_unloaded_and_says_why(tmp_path: Path, home: Path) -> None:
    path = write_preset(tmp_path, "sent.yaml", REMOTE_PRESET)
    app = TunedeckApp(path, count_data=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, RemoteCodeConsent))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        await wait_until(pilot, lambda: "not allowed" in live_text(app))
        assert "trust_remote_code" in live_text(app)
        await pilot.pause(1.5)
        assert preview_children() == [] and not isinstance(app.screen, RemoteCodeConsent)  # not asked again
    assert not (home / CONSENT_FILE).exists()


# --- the CLI: validate and --dry-run warn, preview needs the flag --------------------------------------------

def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "250"}, timeout=300, check=False)


def test_validate_and_dry_run_warn_naming_the_model(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "sent.yaml", REMOTE_PRESET.replace(str(TINY / "model"), "someorg/custom-llm"))
    for args in (("validate", str(path)), ("train", str(path), "--dry-run")):
        proc = _cli(*args)
        out = " ".join((proc.stdout + proc.stderr).split())
        assert proc.returncode == 0, out
        assert "trust_remote_code is on: loading 'someorg/custom-llm' runs Python code" in out, args


@pytest.mark.slow
def test_cli_preview_runs_remote_code_only_with_the_flag(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "sent.yaml", REMOTE_PRESET)
    refused = _cli("preview", str(path), "-n", "1", cwd=tmp_path)  # its relative output_dir caches there
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--trust-remote-code" in refused.stderr and str(TINY / "model") in " ".join(refused.stderr.split())
    allowed = _cli("preview", str(path), "-n", "1", "--trust-remote-code", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert f"running the code of '{TINY / 'model'}'" in allowed.stderr and "learned" in allowed.stdout


# --- counts and previews never pile up ----------------------------------------------------------------------

def _subset(seed: int, base_model: str = str(TINY / "model")) -> dict:
    return {"base_model": base_model, "datasets": [{"path": str(TINY / "chat.jsonl"), "type": "chat_template"}],
            "sequence_len": 128, "seed": seed}  # each seed a new request: the cache cannot answer it


@pytest.mark.slow
def test_rapid_requests_leave_at_most_one_live_subprocess() -> None:
    results: dict[int, preview_runner.PreviewResult] = {}
    most = 0
    threads = []
    for seed in range(5):
        thread = threading.Thread(target=lambda s=seed: results.__setitem__(s, preview_runner.run_preview(_subset(s))))
        thread.start()
        threads.append(thread)
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            most = max(most, len(preview_children()))
            time.sleep(0.02)
    while any(t.is_alive() for t in threads):
        most = max(most, len(preview_children()))
        time.sleep(0.05)
    assert most == 1
    assert all(results[s].cancelled for s in range(4))  # each replaced by the next
    assert results[4].error is None and results[4].stats.get("rows") == 120
    assert preview_children() == []


def test_a_hub_model_missing_from_the_cache_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")  # the app's counts are offline whatever the environment says
    result = preview_runner.run_preview(_subset(0, base_model="someorg/not-downloaded-llm"))
    assert result.error is not None and result.error.get("key") == "base_model"
    assert "'someorg/not-downloaded-llm' is not in the local cache (offline)" in result.error_text()
