"""The TUI reaches the app through a typed handle and uses only public names of other objects (issue 11 §3)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TUI_MODULES = sorted((REPO / "tui").rglob("*.py"))
# Private names of the standard library that are the documented way to do something.
ALLOWED_PRIVATE = {("os", "_exit")}  # leaves a hung interpreter without running its shutdown hooks


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_screens_reach_the_app_through_a_typed_handle() -> None:
    untyped = [f"{path.relative_to(REPO)}:{n}: {line.strip()}"
               for path in TUI_MODULES for n, line in enumerate(_source(path).splitlines(), 1)
               if "getattr(self.app" in line or "ignore[attr-defined]" in line]
    assert untyped == [], "use the typed handle (cast to TunedeckApp in a property) instead"


def _private_uses(source: str, name: str) -> list[str]:
    """``obj._name`` where obj is not self/cls: another object's private name (dunders are public protocol)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        if owner in ("self", "cls") or (owner, node.attr) in ALLOWED_PRIVATE:
            continue
        found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_tui_calls_no_private_method_of_another_object() -> None:
    uses = [use for path in TUI_MODULES for use in _private_uses(_source(path), str(path.relative_to(REPO)))]
    assert uses == []


def test_the_finder_sees_a_private_call() -> None:
    probe = "def f(self, state):\n    state.preset._touched()\n    self._fine = 1\n    os._exit(0)\n"
    assert _private_uses(probe, "probe.py") == ["probe.py:2: state.preset._touched"]
