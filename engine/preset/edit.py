"""Editing the round-trip document in place: typed values, quoting and flow style kept, comments not lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from engine.errors import TunedeckError
from engine.knobs.facts import KnobInfo, Section
from engine.knobs.registry import top_level_knobs

from .limits import structure_problem
from .yamlio import make_yaml, to_plain

_NULLS = ("", "~", "null", "Null", "NULL")


class CoercionError(ValueError):
    pass


def parse_scalar(text: str) -> Any:
    """A value typed on a command line or in an input box, read as YAML (flow lists and maps allowed)."""
    if text.strip() in _NULLS:
        return None
    try:
        value = make_yaml().load(text)
    except Exception:  # not YAML (or nested past the parser's recursion): keep it as the text it is
        return text
    # Aliases that never end (&a [*a]) or nest too deep are no value a knob takes: the text, refused by its type.
    return text if structure_problem(value) else value


def coerce(knob: KnobInfo, value: Any) -> Any:
    """``value`` typed by the knob: raw text where the knob takes text, else parsed as YAML, else converted.

    Raises CoercionError when no reading of ``value`` fits the knob's type and range.
    """
    from pydantic import ValidationError

    from engine.knobs.types import constrained_adapter  # builds the knob models: only once a value is typed

    adapter = constrained_adapter(knob)
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
    """``new`` dressed like ``old``: same quoting for text, same flow/block style for lists and maps, and the
    same spelling for an equal number (1.0e-3 typed again stays 1.0e-3)."""
    if isinstance(old, (int, float)) and type(new) is type(to_plain(old)) and new == old:
        return old
    if isinstance(new, str) and not isinstance(new, (SingleQuotedScalarString, DoubleQuotedScalarString)):
        if isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString)):
            return type(old)(new)
        return new
    if isinstance(new, list) and not isinstance(new, CommentedSeq):
        seq = CommentedSeq([styled(old[i] if isinstance(old, list) and i < len(old) else None, v)
                            for i, v in enumerate(new)])
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


@dataclass
class Removed:
    """What :func:`delete` took out of a mapping, so that typing the value again puts the key back on its line,
    with its comments, instead of at the end of its section."""

    mapping: CommentedMap
    key: str
    value: Any  # as it was written: a value typed again keeps its quoting and list style
    index: int
    neighbours: tuple[Any, Any]  # the keys before and after it (None at either end)
    slots: list[Any] | None  # the key's own comment slots
    undo_comments: Callable[[], None]  # puts the comment lines delete moved back where they were
    comments_now: Callable[[], list[str]]  # those moved lines as they stand ...
    comments_left: list[str]  # ... and as delete left them: if they changed since, restoring could lose an edit

    def fits(self, mapping: CommentedMap) -> bool:
        keys = [None, *mapping, None]
        return (self.mapping is mapping and self.key not in mapping
                and tuple(keys[self.index:self.index + 2]) == self.neighbours
                and self.comments_now() == self.comments_left)


def put(mapping: CommentedMap, key: str, value: Any, *, top_level: bool = False,
        restore: Removed | None = None) -> None:
    """Set ``key`` (keeping its line and end-of-line comment), put it back where ``restore`` says it was, or add
    it where a reader looks for it: a top-level knob in its registry section, any other key at the end."""
    if key in mapping:
        mapping[key] = styled(mapping[key], value)
        return
    if restore is not None and restore.fits(mapping):  # under the key's old spelling (an alias stays one)
        mapping.insert(restore.index, restore.key, styled(restore.value, value))
        restore.undo_comments()
        if restore.slots is not None:
            mapping.ca.items[restore.key] = restore.slots
        return
    position = _insert_position(mapping, key) if top_level else None
    if position is None:
        position = len(mapping)
    mapping.insert(position, key, styled(None, value))
    if position == 0:
        return
    # Comment lines below the previous key usually head the next section: they move below the new key.
    token = _tail_token(mapping, list(mapping)[position - 1])
    if token is not None:
        eol, _, rest = token.value.partition("\n")
        if rest:
            token.value = eol + "\n"
            mapping.ca.items[key] = [None, None, _comment("\n" + rest), None]


def _insert_position(mapping: CommentedMap, key: str) -> int | None:
    """Just after the last key of the same section (or of an earlier one), else at the top; None: at the end."""
    order = {k.key: list(Section).index(k.section) for k in top_level_knobs()}
    mine = order.get(key)
    if mine is None:
        return None
    best = 0
    for i, existing in enumerate(mapping):
        section = order.get(str(existing))
        if section is not None and section <= mine:
            best = i + 1
    return best


def _comment(text: str) -> CommentToken:
    return CommentToken(text, CommentMark(0), None)


def _tail_token(node: Any, key: Any) -> CommentToken | None:
    """The comment token after ``node[key]``'s last line: its end-of-line comment, then the lines below it.

    ruamel keeps it on the key for a scalar, and on the last item inside a block list or map."""
    value = node[key]
    slot = 0 if isinstance(node, CommentedSeq) else 2
    slots = node.ca.items.get(key)
    if slots and len(slots) > slot and slots[slot] is not None:
        return slots[slot]
    if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
        return _tail_token(value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1)
    return None


def _lines_before(slots: list[Any] | None) -> str:
    """The comment lines ruamel keeps before a key (its slot 1), as text with their indentation."""
    if not slots or len(slots) < 2 or not slots[1]:
        return ""
    return "".join(t.value if t.value.startswith("\n") else " " * t.start_mark.column + t.value for t in slots[1])


def delete(mapping: CommentedMap, key: str) -> Removed | None:
    """Remove ``key`` with its own end-of-line comment. The comment lines around it (a section's heading, the
    note on the next key) stay where they were. Returns what :func:`put` needs to put the key back."""
    if key not in mapping:
        return None
    keys = list(mapping)
    index = keys.index(key)
    slots = mapping.ca.items.get(key)
    tail = _tail_token(mapping, key)
    around = _lines_before(slots) + (tail.value.partition("\n")[2] if tail is not None else "")
    neighbours = (keys[index - 1] if index else None, keys[index + 1] if index + 1 < len(keys) else None)
    value = mapping[key]
    del mapping[key]
    mapping.ca.items.pop(key, None)
    undo, now = _keep_lines(mapping, neighbours, around)
    return Removed(mapping, key, value, index, neighbours, slots, undo, now, now())


def _keep_lines(mapping: CommentedMap, neighbours: tuple[Any, Any],
                text: str) -> tuple[Callable[[], None], Callable[[], list[str]]]:
    """Put comment lines before the next key, else after the previous one, else under the file's head comment.

    Returns how to take them out again, and how to read what now holds them."""
    lines = [_comment(line) for line in text.splitlines(keepends=True)]
    prev, after = neighbours
    if not text:
        return lambda: None, list
    if after is not None:
        slots = mapping.ca.items.setdefault(after, [None, None, None, None])
        old = slots[1]
        slots[1] = lines + list(old or [])

        def undo_before() -> None:
            slots[1] = old

        return undo_before, lambda: [t.value for t in (mapping.ca.items.get(after) or [None, None])[1] or []]
    token = _tail_token(mapping, prev) if prev is not None else None
    if token is not None:
        was = token.value
        token.value = was + (text if was.endswith("\n") else "\n" + text)

        def undo_token() -> None:
            token.value = was

        return undo_token, lambda: [token.value]
    if prev is not None:
        slots = mapping.ca.items.setdefault(prev, [None, None, None, None])
        slots[2] = _comment("\n" + text)

        def undo_slot() -> None:
            slots[2] = None

        return undo_slot, lambda: [t.value for t in (mapping.ca.items.get(prev) or [None] * 3)[2:3] if t]
    head = mapping.ca.comment
    mapping.ca.comment = [None, [*((head or [None, []])[1] or []), *lines]]

    def undo_head() -> None:
        mapping.ca.comment = head

    return undo_head, lambda: [t.value for t in (mapping.ca.comment or [None, []])[1] or []]


def dataset_entry(doc: CommentedMap, key: str, index: int, *, create: bool) -> CommentedMap | None:
    """``datasets[index]`` (``key``: the list as the file spells it, datasets or test_datasets); with create,
    appends it when it is the next index."""
    seq = doc.get(key)
    if seq is None:
        if not create or index != 0:
            raise TunedeckError(f"{key}.{index}: the preset has no {key} yet; start with {key}.0.")
        seq = CommentedSeq()
        put(doc, key, seq, top_level=True)
        seq = doc[key]
    if not isinstance(seq, list):
        raise TunedeckError(f"{key} is not a list in this preset: fix it in the file first.")
    if index < len(seq):
        entry = seq[index]
        if not isinstance(entry, CommentedMap):
            raise TunedeckError(f"{key}.{index} is not a mapping (path: …, type: …): fix it in the file first.")
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
        f"{key}.{index}: the preset has {len(seq)} entries there; add them in order (next is {key}.{len(seq)})."
    )
