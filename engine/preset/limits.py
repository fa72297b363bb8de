"""Bounds on what a preset may be, checked before anything walks it: size, YAML version, nesting, aliases.

A preset is a few kilobytes of key: value lines. A file far past that, a YAML version the parser does not know,
or anchors and aliases that expand without end (``&a [*a]``, "billion laughs") are refused with a message that
says where, before validation or the editor tries to walk them.
"""

from __future__ import annotations

import re
from typing import Any

from engine.errors import TunedeckError

MAX_PRESET_BYTES = 1024 * 1024  # a large Axolotl config is ~10 KB; ruamel reads ~200 KB/s, so 1 MB is seconds
MAX_DEPTH = 64  # lists and maps inside each other; presets nest 4 deep
MAX_ALIAS_VALUES = 100_000  # values that aliases (*name) add on top of what the file spells out
_KNOWN_VERSIONS = ("1.1", "1.2")
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S*)", re.MULTILINE)


def check_size(size: int, file: str | None) -> None:
    """Refuse a preset over MAX_PRESET_BYTES (checked before it is parsed: parsing that much takes minutes)."""
    if size > MAX_PRESET_BYTES:
        raise TunedeckError(
            f"{file or '<preset>'}: the preset is over {MAX_PRESET_BYTES // 1024 // 1024} MB, the most tunedeck "
            "reads (a preset is a few KB of key: value lines). Check that this is the right file, and keep data in "
            "the dataset files the preset names, not in the preset itself."
        )


def check_directives(text: str, file: str | None) -> None:
    """A ``%YAML`` directive must name a version the parser knows (1.1 or 1.2)."""
    for match in _DIRECTIVE.finditer(text):
        if match.group(1) not in _KNOWN_VERSIONS:
            line = text.count("\n", 0, match.start()) + 1
            raise TunedeckError(
                f"{file or '<preset>'}:{line}: the preset asks for YAML version '{match.group(1)}' "
                f"(%YAML {match.group(1)}), which tunedeck cannot read. Delete that line (presets need no %YAML "
                "line), or write %YAML 1.2."
            )


class _Refused(Exception):
    pass


class _Walk:
    """Counts the values a document stands for, each distinct list or map visited once (memoised by identity),
    so a chain of aliases that would expand to billions of values is measured in as many steps as the file has
    values."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}  # id of a list/map -> values it stands for, aliases expanded
        self.spelled = 0  # values written out in the file (each list/map and its own scalars, once)
        self.active: set[int] = set()  # the lists/maps being walked: meeting one again is a cycle

    def size(self, node: Any, depth: int = 0) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        ident = id(node)
        if ident in self.sizes:
            return self.sizes[ident]
        if ident in self.active:
            raise _Refused("an anchor contains an alias to itself (&name … *name inside it), so it never ends")
        if depth >= MAX_DEPTH:
            raise _Refused(f"lists and maps are nested more than {MAX_DEPTH} levels deep")
        self.active.add(ident)
        children = list(node.values() if isinstance(node, dict) else node)
        self.spelled += 1 + sum(not isinstance(child, (dict, list)) for child in children)
        total = 1 + sum(self.size(child, depth + 1) for child in children)
        self.active.discard(ident)
        self.sizes[ident] = total
        if total - self.spelled > MAX_ALIAS_VALUES:
            raise _Refused(f"its aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values")
        return total


def structure_problem(value: Any) -> str | None:
    """Why ``value`` (a parsed YAML value) is nested too deep or its aliases expand too far; None when fine."""
    try:
        _Walk().size(value)
    except _Refused as refused:
        return str(refused)
    return None


def check_structure(doc: Any, file: str | None) -> None:
    """Raise TunedeckError naming the top-level key (and its line) whose value is too deep or expands too far."""
    where = file or "<preset>"
    walk = _Walk()
    items = doc.items() if isinstance(doc, dict) else [(None, doc)]
    for key, value in items:
        try:
            walk.size(value, 1)
        except _Refused as refused:
            line = _line_of_key(doc, key) if key is not None else None
            named = f"{where}:{line}: {key}" if line else f"{where}: {key}" if key is not None else where
            raise TunedeckError(f"{named}: {refused}. {_FIX}") from None


_FIX = "Write the values out plainly (a preset needs no anchors that nest), or remove the key; then try again."


def _line_of_key(mapping: Any, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None
