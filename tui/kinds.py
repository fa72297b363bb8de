"""How typed text becomes a knob's value, and a value text again.

A knob's :class:`~engine.knobs.facts.Kind` (switch, select, number, text, list, mapping) decides its widget and how
its value is shown as text; typed text is parsed here and checked with the same pydantic type and constraints
``validate`` uses.
"""

from __future__ import annotations

from typing import Any

from engine.knobs.facts import Kind, KnobInfo, kind_of

__all__ = ["UNSET", "FieldError", "Kind", "Unset", "check", "kind_of", "parse", "to_text"]


class Unset:
    """The value of an optional knob left empty: the key is removed from the preset."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


def to_text(value: Any, kind: Kind) -> str:
    """A value as the user types it."""
    if value is None or value is UNSET:
        return ""
    if kind.name in ("list", "text_or_list") and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind.name == "mapping" and isinstance(value, dict):
        return ", ".join(f"{k}: {_flow(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind.name == "text" and isinstance(value, str) and _CONTROL & set(value):
        return _escape(value)
    return str(value)


# A one-line input cannot hold a new line or a tab: texts with one (H2O LLM Studio's separators default to two new
# lines) show and are typed as \n, \t, \r, with \\ for a backslash; texts without one are shown as they are.
_CONTROL = {"\n", "\t", "\r"}
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in value)


def _unescape(text: str) -> str:
    """\\n, \\t, \\r and \\\\ → the characters; any other backslash stays as typed."""
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        decoded = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}.get(pair)
        out.append(decoded if decoded is not None else text[i])
        i += 2 if decoded is not None else 1
    return "".join(out)


def _flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


class FieldError(ValueError):
    """Typed text that the knob's type refuses; the message says what to type.

    ``value`` is the closest typed value (0 for "0" when 0 is out of range), else the text itself: a draft save
    keeps it as the user wrote it.
    """

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.value = value


def parse(text: str, knob: KnobInfo) -> Any:
    """Text from an input → the knob's value (UNSET for empty), checked by its pydantic type; FieldError if not."""
    kind = knob.kind
    text = text.strip()
    if not text:
        return UNSET
    if kind.name == "int":
        try:
            value: Any = int(text)
        except ValueError:
            raise FieldError(f"'{text}' is not a whole number; type e.g. {knob.default or 1}", text) from None
    elif kind.name == "float":
        try:
            value = float(text)
        except ValueError:
            raise FieldError(f"'{text}' is not a number; type e.g. {knob.default or 0.1}", text) from None
        if value.is_integer() and "." not in text and "e" not in text.lower():
            value = int(value)
    elif kind.name == "list":
        value = [part.strip() for part in text.split(",") if part.strip()]
    elif kind.name == "text_or_list":
        parts = [part.strip() for part in text.split(",") if part.strip()]
        value = parts if len(parts) > 1 else parts[0]
    elif kind.name == "mapping":
        value = _parse_mapping(text)
    else:
        value = _unescape(text) if "\\" in text and any(e in text for e in ("\\n", "\\t", "\\r")) else text
    return check(value, knob)


def check(value: Any, knob: KnobInfo) -> Any:
    """Validate a value against the knob's type and range constraints (what ``validate`` checks per field); the
    FieldError says why in tunedeck's words."""
    from engine.knobs.types import refusal  # builds the knob models: not needed before the first edit

    if value is UNSET:
        return value
    reason = refusal(knob, value)
    if reason is not None:
        raise FieldError(reason, value)
    return value


def _parse_mapping(text: str) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    body = text if text.startswith("{") else "{" + text + "}"
    try:
        loaded = YAML(typ="safe").load(body)
    except YAMLError:
        raise FieldError("write it as key: value, key: value (lists as [a, b])", text) from None
    if not isinstance(loaded, dict):
        raise FieldError("write it as key: value, key: value (lists as [a, b])", text)
    return {str(k): v for k, v in loaded.items()}
