"""The session guard in conftest: paths git ignores that appear in the checkout during the tests fail the session
(a relative output_dir run from the repository once left last_run_prepared/ there, hidden by .gitignore)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, ignored_paths


def _git_checkout(folder: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / ".gitignore").write_text("last_run_prepared/\noutputs/\n__pycache__/\n")
    return folder


def test_a_new_ignored_folder_is_seen_and_tool_caches_are_not(tmp_path: Path) -> None:
    root = _git_checkout(tmp_path / "checkout")
    assert ignored_paths(root) == set()
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_bytes(b"")
    (root / "outputs" / "last_run_prepared" / "abc").mkdir(parents=True)
    (root / "outputs" / "last_run_prepared" / "abc" / "stats.json").write_text("{}")
    (root / "tracked.txt").write_text("not ignored: git status shows it anyway")
    assert ignored_paths(root) == {"outputs/"}


def test_outside_a_git_checkout_the_guard_stands_aside(tmp_path: Path) -> None:
    assert ignored_paths(tmp_path) is None


def test_a_session_that_writes_into_the_checkout_fails(tmp_path: Path) -> None:
    root = _git_checkout(tmp_path / "checkout")
    (root / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text().replace(
        "REPO = Path(__file__).resolve().parent.parent", "REPO = Path(__file__).resolve().parent"))
    (root / "test_leak.py").write_text(
        "from pathlib import Path\n\n\ndef test_leaks():\n"
        "    (Path(__file__).parent / 'last_run_prepared').mkdir()\n"
        "    (Path(__file__).parent / 'last_run_prepared' / 'stats.json').write_text('{}')\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                          str(root / "test_leak.py")], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout
    assert "1 passed" in out.stdout and "the tests wrote into the repository" in out.stdout
    assert "last_run_prepared/" in out.stdout
