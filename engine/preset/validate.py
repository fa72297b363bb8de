"""Checking a loaded preset document, in order: shape → key spellings → types and ranges → cross-knob rules.

Every finding is a :class:`Problem` with the key's dotted path and its 1-based line, worded for a person
(never pydantic's raw text).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from engine.knobs.config import Config
from engine.knobs.problems import Problem
from engine.knobs.registry import get_knob
from engine.knobs.rules import check_rules
from engine.knobs.types import constraints_of, describe
from engine.knobs.types import show as _show

from .axolotl_features import cloud_launch_config, document_features, refused_dataset_type
from .unknown_keys import classify
from .yamlio import line_of, to_plain


@dataclass
class Checked:
    """The outcome of checking one document."""

    data: dict[str, Any] = field(default_factory=dict)  # what pydantic validated: canonical names, known keys
    problems: list[Problem] = field(default_factory=list)
    kept_keys: list[str] = field(default_factory=list)
    config: Config | None = None


def check_document(doc: Any, file: str | None) -> Checked:
    out = Checked()

    def add(key: str, message: str, severity: Literal["error", "warning", "info"] = "error",
            parts: list[str | int] | None = None) -> None:
        line = line_of(doc, parts if parts is not None else _split(key)) if doc is not None else None
        out.problems.append(Problem(key=key, message=message, severity=severity, file=file, line=line))

    if doc is None:
        add("", "the preset is empty: it needs at least base_model and datasets. "
            "Run `tunedeck new PRESET` to start from a working example.")
        return out
    if not isinstance(doc, dict):
        add("", f"the preset must be a mapping of keys to values (key: value lines), but it is a "
            f"{_kind(doc)}. Start from `tunedeck new PRESET` and copy your values into it.")
        return out
    cloud = cloud_launch_config(doc)
    if cloud is not None:  # one error for the whole file: none of its keys is a training key
        add(*cloud)
        return out

    out.data = _sort_keys(doc, add, out.kept_keys)
    for key, message, severity in document_features(doc):  # Axolotl features refused (or read) by name
        add(key, message, severity)
    # Type-check even when a key is misspelled, so one pass reports everything.
    try:
        out.config = Config.model_validate(out.data)
    except ValidationError as err:
        for key, message in _explain(err, out.data):
            refused = refused_dataset_type(_lookup(out.data, key), doc) if key.endswith(".type") else None
            add(key, refused or message)
        return out
    _add_rules(out, doc, file)
    return out


def _sort_keys(doc: dict[Any, Any], add: Any, kept: list[str]) -> dict[str, Any]:
    """Known keys under their canonical names; Axolotl-only keys kept aside; typos and strangers reported."""
    data: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in doc.items():
        name = str(key)
        verdict = classify(name)
        if verdict.verdict == "known":
            canonical = verdict.canonical or name
            if canonical in spelled:
                add(name, f"'{name}' and '{spelled[canonical]}' both set {canonical}: keep one of them.",
                    parts=[name])
                continue
            spelled[canonical] = name
            if _blank_means_default(canonical, value):
                continue
            data[canonical] = to_plain(value)
            if canonical == "datasets" and isinstance(value, list):
                data[canonical] = _sort_dataset_keys(value, add, kept)
        elif verdict.verdict == "kept":
            kept.append(name)
            add(name, "an Axolotl key that tunedeck does not implement: kept but not used by tunedeck.", "warning",
                parts=[name])
        elif verdict.verdict == "typo":
            add(name, f"unknown key '{name}' — did you mean '{verdict.suggestion}'? Rename it (or remove it).",
                parts=[name])
        else:
            hint = f" (Axolotl has '{verdict.suggestion}')" if verdict.suggestion else ""
            add(name, f"unknown key, kept; neither tunedeck nor Axolotl knows it{hint}.", "warning", parts=[name])
    return data


def _sort_dataset_keys(entries: list[Any], add: Any, kept: list[str]) -> list[Any]:
    cleaned: list[Any] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            cleaned.append(to_plain(entry))
            continue
        item: dict[str, Any] = {}
        for key, value in entry.items():
            name = str(key)
            path = f"datasets.{i}.{name}"
            verdict = classify(name, in_dataset=True)
            if verdict.verdict == "known":
                if not _blank_means_default(f"datasets.{verdict.canonical or name}", value):
                    item[verdict.canonical or name] = to_plain(value)
            elif verdict.verdict == "kept":
                kept.append(path)
                add(path, "an Axolotl dataset key that tunedeck does not implement: kept but not used by tunedeck.",
                    "warning")
            elif verdict.verdict == "typo":
                add(path, f"unknown key '{name}' — did you mean '{verdict.suggestion}'? Rename it (or remove it).")
            else:
                hint = f" (Axolotl has '{verdict.suggestion}')" if verdict.suggestion else ""
                add(path, f"unknown dataset key, kept; neither tunedeck nor Axolotl knows it{hint}.", "warning")
        cleaned.append(item)
    return cleaned


def _blank_means_default(path: str, value: Any) -> bool:
    """A blank value (``fp16:``) on a knob that takes no blank: Axolotl reads it as "not set", so do we.

    Axolotl's own examples list many keys with empty values; the knob then keeps its default. Required
    knobs (a dataset's path) and knobs where empty means something stay as they are.
    """
    if value is not None:
        return False
    knob = get_knob(path)
    if knob is None or knob.field_info.is_required():
        return False
    return type(None) not in typing.get_args(knob.annotation)


def _add_rules(out: Checked, doc: Any, file: str | None) -> None:
    assert out.config is not None
    for problem in check_rules(out.config):
        if problem.file is None:
            problem.file = file
        if problem.line is None:
            problem.line = line_of(doc, _split(problem.key))
        out.problems.append(problem)


# ---------------------------------------------------------------- pydantic errors, in our words

def _explain(err: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    """One (key path, message) per bad key: union branches merged, the expectation taken from the knob."""
    grouped: dict[str, list[ErrorDetails]] = {}
    for e in err.errors(include_url=False):
        grouped.setdefault(_key_path(e["loc"]), []).append(e)
    out: list[tuple[str, str]] = []
    for key, errors in grouped.items():
        out.append((key, _message(key, errors, data)))
    return out


def _key_path(loc: tuple[Any, ...]) -> str:
    """The knob path inside ``loc``: "x", "datasets.0", "datasets.0.type" (type tags and deeper parts dropped)."""
    parts: list[str] = []
    if not loc:
        return ""
    parts.append(str(loc[0]))
    if loc[0] == "datasets" and len(loc) > 1 and isinstance(loc[1], int):
        parts.append(str(loc[1]))
        if len(loc) > 2 and isinstance(loc[2], str) and get_knob(f"datasets.{loc[2]}") is not None:
            parts.append(loc[2])
    return ".".join(parts)


_KEY_FIRST = re.compile(r"[a-z_][a-z0-9_.\[\]]*:")


def _message(key: str, errors: list[ErrorDetails], data: dict[str, Any]) -> str:
    first = errors[0]
    value = _lookup(data, key)
    custom = [e for e in errors if e["type"] in ("value_error", "assertion_error")]
    if custom:
        text = str(custom[0].get("ctx", {}).get("error", custom[0]["msg"])).strip()
        if not text:
            return first["msg"]
        if not _KEY_FIRST.match(text):  # a message that starts with a key ("rl: ebft asks ...") keeps its case
            text = text[0].upper() + text[1:]
        return text + ("" if text.endswith((".", "!", "?")) else ".")
    if first["type"] == "missing":
        if key.count(".") == 2:
            return f"this dataset entry has no '{key.split('.')[-1]}': add it (e.g. path: data/train.jsonl)."
        return "this key is required: add it to the preset."
    if key.startswith("datasets") and key.count(".") == 1:
        return (f"each entry of datasets must be a mapping with at least a path (path: data/train.jsonl), "
                f"got {_show(value)}.")
    if key == "datasets" and first["type"] == "list_type":
        return f"datasets must be a list of entries (- path: …), got {_show(value)}."
    knob = get_knob(key)
    if knob is None:
        return f"got {_show(value)}: {first['msg']}."
    expected = describe(knob.annotation, constraints_of(knob.field_info))
    return f"expected {expected}, got {_show(value)}. {_example(knob)}."


def _lookup(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split(".") if key else []:
        if isinstance(node, list) and part.isdecimal() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _example(knob: Any) -> str:
    """What to do, in one sentence (without the final period)."""
    base = describe(knob.annotation).removesuffix(" (or empty)")
    default = knob.default
    several = not base.startswith("a ")
    if default is None or default == [] or default == {}:
        return "Use one of those, or remove the key" if several else f"Set it to {base}, or remove the key"
    shown = _show(default, True)
    if several:
        return f"Use one of those (the default is {shown})"
    return f"Set it to {base} such as {shown}"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "single text value"
    return type(value).__name__


def _split(key: str) -> list[str | int]:
    return [int(p) if p.isdecimal() else p for p in key.split(".")] if key else []
