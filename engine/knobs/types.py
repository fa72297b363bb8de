"""A knob's type for people and for checking: in words, as a constrained pydantic adapter, and why a value is
refused, in tunedeck's words (never pydantic's "Input should be ...").

One module serves ``explain`` (the Type row), ``validate`` and ``--set`` (what a key expects) and the editor's
field kinds (a typed value checked as it is entered), so all of them say the same thing.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from .base import KnobInfo

_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
_SCALARS = {bool: "true/false", int: "integer", float: "number", str: "text"}
_RANGE_WORDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


# ---------------------------------------------------------------- the type as a label (explain's Type row)

def describe_type(annotation: Any, metadata: typing.Sequence[Any] = ()) -> str:
    """A knob's type in words: ``integer ≥ 1``, ``one of: cosine, linear, …``, ``true/false``, ``list of text``.

    ``metadata`` is the field's constraint objects (``FieldInfo.metadata``: Ge, Gt, Le, Lt), whose bounds are added.
    """
    base = _label(annotation)
    bounds = [f"{sign} {_number(getattr(m, attr))}" for m in metadata for attr, sign in _BOUNDS
              if getattr(m, attr, None) is not None]
    if not bounds:
        return base
    # Bounds belong to the number, not to "or empty": "integer ≥ 1, or empty".
    head, sep, tail = base.partition(", or empty")
    return f"{head} {' and '.join(bounds)}{sep}{tail}"


def _label(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if annotation is Any:
        return "anything"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "dataset entry" if annotation.__name__ == "DatasetConfig" else annotation.__name__
    if origin is Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        parts = [a for a in args if a is not type(None)]
        literals = [v for a in parts if typing.get_origin(a) is Literal for v in typing.get_args(a)]
        others = [_label(a) for a in parts if typing.get_origin(a) is not Literal]
        words = (["one of: " + ", ".join(map(str, literals))] if literals and not others else
                 [", ".join(map(str, literals))] if literals else []) + others
        text = " or ".join(words)
        return f"{text}, or empty" if optional else text
    if origin is list:
        return f"list of {_label_plural(_label(args[0]))}" if args else "list"
    if origin is dict:
        if not args or args[1] is Any:
            return "mapping of settings"
        return f"mapping of {_label(args[0])} to {_label(args[1])}"
    return getattr(annotation, "__name__", str(annotation))


def _label_plural(word: str) -> str:
    return {"dataset entry": "dataset entries", "integer": "integers", "number": "numbers"}.get(word, word)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------- the type in a sentence (what a key expects)

def constraints_of(info: Any) -> dict[str, Any]:
    """The range constraints (ge, gt, …) declared on a knob's field."""
    found: dict[str, Any] = {}
    for meta in info.metadata:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            v = getattr(meta, name, None)
            if v is not None:
                found[name] = v
    return found


def show(value: Any, inner: bool = False) -> str:
    """A value the way it reads in YAML (flow style for lists and maps)."""
    if isinstance(value, str):
        return value if inner else f"'{value}'"
    if value is None:
        return "null" if inner else "nothing (empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show(v, True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, True)}" for k, v in value.items()) + "}"
    return repr(value)


def describe(annotation: Any, constraints: dict[str, Any] | None = None) -> str:
    """A type annotation in words: "a whole number ≥ 1", "one of: lora, qlora (or empty)"."""
    constraints = constraints or {}
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        parts = [describe(a, constraints) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(parts))
        return f"{text} (or empty)" if optional else text
    if origin is Literal:
        shown = [show(a) if not isinstance(a, str) else a for a in args]
        return shown[0] if len(shown) == 1 else "one of: " + ", ".join(shown)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _range(constraints)
    if annotation is float:
        return "a number" + _range(constraints)
    if annotation is str:
        return "text"
    if origin is list:
        inner = describe(args[0]) if args else "values"
        return f"a list of {_plural(inner)}"
    if origin is dict:
        if len(args) == 2 and args[1] is not typing.Any:
            return f"a mapping of {describe(args[0])} to {_plural(describe(args[1]))}"
        return "a mapping (key: value pairs)"
    return getattr(annotation, "__name__", str(annotation))


def _range(c: dict[str, Any]) -> str:
    bits = [f"{sign} {c[name]}" for name, sign in _BOUNDS if name in c]
    return " " + " and ".join(bits) if bits else ""


def _plural(inner: str) -> str:
    return {"text": "text values", "a whole number": "whole numbers", "a number": "numbers"}.get(inner, inner)


# ---------------------------------------------------------------- checking a value

_adapters: dict[str, TypeAdapter[Any]] = {}


def constrained_adapter(knob: KnobInfo) -> TypeAdapter[Any]:
    """The knob's type with its range constraints, built once per knob (KnobInfo itself is not hashable)."""
    adapter = _adapters.get(knob.path)
    if adapter is None:
        adapter = _adapters[knob.path] = TypeAdapter(knob.field_info.rebuild_annotation())
    return adapter


def refusal(knob: KnobInfo, value: Any) -> str | None:
    """Why the knob's type and range refuse ``value``, in tunedeck's words ("must be at least 1"); None if it fits."""
    try:
        constrained_adapter(knob).validate_python(value)
    except ValidationError as exc:
        return _reason(knob, exc.errors(include_url=False))
    return None


def _reason(knob: KnobInfo, errors: list[Any]) -> str:
    first = errors[0]
    ctx = first.get("ctx") or {}
    if first["type"] in ("value_error", "assertion_error"):  # the knob's own validator: already our words
        return str(ctx.get("error", first["msg"])).strip()
    bound = next((name for name in _RANGE_WORDS if name in ctx), None)
    if bound is not None:
        return f"must be {_RANGE_WORDS[bound]} {_number(ctx[bound])}"
    if first["type"] == "too_short":
        return "must not be empty"
    return f"expected {describe(knob.annotation, constraints_of(knob.field_info))}"
