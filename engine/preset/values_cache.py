"""A preset's values, remembered by the file's exact text, so the editor's first frame can show them without the
YAML parser: importing ruamel and parsing a preset cost ~20 ms of a ~250 ms start (issue 16). The round-trip
document, which edits, saves and line numbers need, is parsed right after that frame.

An entry is found only for the same text read by the same parser (tunedeck's reading code and the installed ruamel
are part of the key), holds plain JSON values, and is checked against the document once that is parsed (a
difference forgets the entry). Anything unusual (a date, a non-string key, a top level that is not a mapping) is
simply not remembered. A cache that cannot be read or written is skipped: it never stops a preset from opening.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from engine.runs.index import tunedeck_home

from .plain import to_plain

FORMAT = 1  # bump when what is stored changes
MAX_ENTRIES = 200  # newest kept; an entry is a preset's values, a few KB
_PARSER_FILES = ("yamlio.py", "scanner.py", "limits.py", "plain.py")


def cache_dir() -> Path:
    return tunedeck_home() / "cache" / "preset-values"


@cache  # once a process: a miss looks the entry up, then writes it
def _parser_stamp() -> str:
    """What decides how a text reads: tunedeck's reading code and the installed ruamel (without importing it)."""
    here = Path(__file__).parent
    files = [here / name for name in _PARSER_FILES]
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec("ruamel.yaml")
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    parts = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            parts.append(f"{path}:missing")
        else:
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _entry(text: str) -> Path:
    digest = hashlib.sha256(f"{FORMAT}\0{_parser_stamp()}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir() / f"{digest}.json"


def cached_values(text: str) -> tuple[bool, Any]:
    """(found, values): the plain values a parse of ``text`` gave before (None for a file of only comments)."""
    path = _entry(text)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return False, None
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or stored.get("format") != FORMAT or not isinstance(stored.get("values"),
                                                                                          (dict, type(None))):
        forget_values(text)  # damaged: the parse that follows writes it again
        return False, None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when the folder is pruned
    return True, stored["values"]


def remember_values(text: str, doc: Any) -> None:
    """Keep the values of ``doc`` (the parse of ``text``; None for a file of only comments) when JSON gives them
    back unchanged: a mapping whose keys are all text, holding text, numbers, booleans, nulls, lists, mappings."""
    if not isinstance(doc, (dict, type(None))) or not _text_keys(doc):
        return
    values = to_plain(doc)
    try:
        encoded = json.dumps({"format": FORMAT, "values": values}, allow_nan=False)
        if json.loads(encoded)["values"] != values:  # a tuple, a non-string key: not the same after JSON
            return
        path = _entry(text)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, encoded)
        _prune(path.parent)
    except (OSError, TypeError, ValueError):  # a date or bytes value, a read-only home: not remembered
        return


def _text_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _text_keys(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_text_keys(v) for v in value)
    return True


def forget_values(text: str) -> None:
    with contextlib.suppress(OSError):
        _entry(text).unlink()


def _prune(folder: Path) -> None:
    entries = list(os.scandir(folder))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns if e.is_file() else 0)
    for entry in entries[: len(entries) - MAX_ENTRIES]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
