"""Editing the round-trip document in place: typed values, quoting and flow style kept, comments not lost."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from engine.errors import TunedeckError
from engine.knobs.base import KnobInfo, Section
from engine.knobs.registry import top_level_knobs

from .yamlio import make_yaml, to_plain

_NULLS = ("", "~", "null", "Null", "NULL")


class CoercionError(ValueError):
    pass


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def parse_scalar(text: str) -> Any:
    """A value typed on a command line or in an input box, read as YAML (flow lists and maps allowed)."""
    if text.strip() in _NULLS:
        return None
    try:
        return make_yaml().load(text)
    except Exception:  # not YAML: keep it as the text it is
        return text


def coerce(knob: KnobInfo, value: Any) -> Any:
    """``value`` typed by the knob: raw text where the knob takes text, else parsed as YAML, else converted.

    Raises CoercionError when no reading of ``value`` fits the knob's type and range.
    """
    adapter = _adapter(knob.field_info.rebuild_annotation())  # the type with its range constraints
    candidates = [value]
    if isinstance(value, str):
        parsed = parse_scalar(value)
        # A flow list or map typed as text ("[q_proj, v_proj]") means that structure, even where the knob
        # would also take plain text (lora_target_modules: list or regex string).
        candidates.insert(0 if isinstance(parsed, (list, dict)) else 1, parsed)
    for cand in candidates:
        try:
            adapter.validate_python(to_plain(cand), strict=True)
            return cand
        except ValidationError:
            continue
    for cand in reversed(candidates):
        try:
            return adapter.validate_python(to_plain(cand))
        except ValidationError:
            continue
    raise CoercionError(repr(value))


def styled(old: Any, new: Any) -> Any:
    """``new`` dressed like ``old``: same quoting for text, same flow/block style for lists and maps."""
    if isinstance(new, str) and not isinstance(new, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        if isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString)):
            return type(old)(new)
        return new
    if isinstance(new, list) and not isinstance(new, CommentedSeq):
        seq = CommentedSeq([styled(None, v) for v in new])
        if isinstance(old, CommentedSeq):
            if old.fa.flow_style():
                seq.fa.set_flow_style()
            _carry_item_comments(old, seq)
        return seq
    if isinstance(new, dict) and not isinstance(new, CommentedMap):
        mapping = CommentedMap((k, styled(None, v)) for k, v in new.items())
        if isinstance(old, CommentedMap) and old.fa.flow_style():
            mapping.fa.set_flow_style()
        return mapping
    return new


def _carry_item_comments(old: CommentedSeq, new: CommentedSeq) -> None:
    """Keep end-of-line comments per position, and the comment block after the list after its new last item."""
    if not new:
        return
    last_old, last_new = len(old) - 1, len(new) - 1
    for index, slots in old.ca.items.items():
        if index == last_old:
            new.ca.items[last_new] = slots
        elif index < last_new:
            new.ca.items[index] = slots


def put(mapping: CommentedMap, key: str, value: Any, *, top_level: bool = False) -> None:
    """Set ``key`` (keeping its line and end-of-line comment) or add it in registry section order."""
    if key in mapping:
        mapping[key] = styled(mapping[key], value)
        return
    value = styled(None, value)
    position = _insert_position(mapping, key) if top_level else None
    if position is None:
        mapping[key] = value
        return
    prev = list(mapping)[position - 1]
    mapping.insert(position, key, value)
    # Comment lines below the previous key usually head the next section: they move below the new key.
    token = _trailing_token(mapping, prev)
    if token is not None:
        eol, _, rest = token.value.partition("\n")
        if rest:
            token.value = eol + "\n"
            mapping.ca.items[key] = [None, None, CommentToken("\n" + rest, token.start_mark, None), None]


def _insert_position(mapping: CommentedMap, key: str) -> int | None:
    """Just after the last key of the same section (or of an earlier one); None appends at the end."""
    order = {k.key: list(Section).index(k.section) for k in top_level_knobs()}
    mine = order.get(key)
    if mine is None:
        return None
    best = None
    for i, existing in enumerate(mapping):
        section = order.get(str(existing))
        if section is not None and section <= mine:
            best = i + 1
    if best is None or best == len(mapping):
        return None
    return best


def _trailing_token(mapping: CommentedMap, key: Any) -> CommentToken | None:
    slots = mapping.ca.items.get(key)
    return slots[2] if slots and len(slots) > 2 else None


def delete(mapping: CommentedMap, key: str) -> None:
    """Remove ``key``; comment lines that followed it (often the next section's heading) move up a key."""
    if key not in mapping:
        return
    keys = list(mapping)
    token = _trailing_token(mapping, key)
    index = keys.index(key)
    del mapping[key]
    mapping.ca.items.pop(key, None)
    if token is None:
        return
    _, _, rest = token.value.partition("\n")  # drop the deleted line's own end-of-line comment
    if not rest.strip():
        return
    if index > 0:
        prev = keys[index - 1]
        slots = mapping.ca.items.setdefault(prev, [None, None, None, None])
        if slots[2] is None:
            slots[2] = CommentToken("\n" + rest, token.start_mark, None)
        else:
            slots[2].value = slots[2].value + (rest if slots[2].value.endswith("\n") else "\n" + rest)
    elif mapping.ca.comment is None:
        mapping.ca.comment = [None, [CommentToken(rest, token.start_mark, None)]]


def dataset_entry(doc: CommentedMap, key: str, index: int, *, create: bool) -> CommentedMap | None:
    """``datasets[index]`` (the key as the file spells it); with create, appends it when it is the next index."""
    seq = doc.get(key)
    if seq is None:
        if not create or index != 0:
            raise TunedeckError(f"datasets.{index}: the preset has no datasets yet; start with datasets.0.")
        seq = CommentedSeq()
        put(doc, key, seq, top_level=True)
        seq = doc[key]
    if not isinstance(seq, list):
        raise TunedeckError("datasets is not a list in this preset: fix it in the file first.")
    if index < len(seq):
        entry = seq[index]
        if not isinstance(entry, CommentedMap):
            raise TunedeckError(f"datasets.{index} is not a mapping (path: …, type: …): fix it in the file first.")
        return entry
    if create and index == len(seq):
        entry = CommentedMap()
        if isinstance(seq, CommentedSeq) and seq.fa.flow_style():
            entry.fa.set_flow_style()  # [{path: a}] grows as [{path: a}, {path: b}]
        seq.append(entry)
        return seq[index]
    if not create:
        return None
    raise TunedeckError(
        f"datasets.{index}: the preset has {len(seq)} dataset(s); add them in order (next is datasets.{len(seq)})."
    )
