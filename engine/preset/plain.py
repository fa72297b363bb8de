"""Plain Python from a parsed document, importable without ruamel (the editor's first frame reads a preset's
remembered values, not its document)."""

from __future__ import annotations

from typing import Any


def to_plain(value: Any) -> Any:
    """ruamel's containers and scalar subclasses as plain Python values (for validation)."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
