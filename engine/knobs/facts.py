"""What a knob is, as every reader sees it, without pydantic: its section, teaching text, flags, default and the
shape of its value.

:func:`engine.knobs.base.knob` declares these facts on the pydantic models; :mod:`engine.knobs.catalogue` keeps a
copy the editor reads at start-up without building the models. The models' own field (type and range constraints,
for validation) is looked up on first use: :attr:`KnobInfo.field_info`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin


class Section(str, Enum):
    """The editor's pages, in the order a newcomer fills them in."""

    MODEL = "Model"
    DATASETS = "Datasets"
    SEQUENCE = "Sequence & batching"
    SCHEDULE = "Schedule & optimizer"
    ADAPTER = "Adapter & quantization"
    EVALUATION = "Evaluation & saving"
    GENERATION = "Generation & evaluation"
    TRACKING = "Tracking & hub"
    ENVIRONMENT = "Environment"


PathKind = Literal["model", "data", "file"]


@dataclass(frozen=True)
class Kind:
    """The shape of a knob's value: what the editor shows for it and how typed text is read."""

    name: str  # bool | choice | int | float | text | list | mapping | text_or_list | datasets
    optional: bool
    choices: tuple[Any, ...] = ()

    @property
    def hint(self) -> str:
        """What the input expects, shown as its placeholder."""
        return {
            "int": "whole number",
            "float": "number (e.g. 2e-4)",
            "list": "comma-separated list",
            "mapping": "key: value, key: value",
            "text_or_list": "name, or comma-separated names",
        }.get(self.name, "")


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _flatten(tp: Any) -> list[Any]:
    return [a for arg in get_args(tp) for a in _flatten(arg)] if _is_union(tp) else [tp]


def kind_of(annotation: Any) -> Kind:
    """A type annotation's shape: a Literal (with bool) is a choice, ``int | float`` a number, ``str | list[str]``
    a name or names, ``list[...]`` of mappings the datasets list; anything else is text."""
    members = _flatten(annotation)
    optional = type(None) in members
    members = [m for m in members if m is not type(None)]
    literals = [v for m in members if get_origin(m) is Literal for v in get_args(m)]
    if literals:
        extra = (True, False) if bool in members else ()
        return Kind("choice", optional, tuple(literals) + extra)
    if members == [bool]:
        return Kind("choice", True, (True, False)) if optional else Kind("bool", False)
    if members == [int]:
        return Kind("int", optional)
    if members == [float] or sorted(members, key=str) == [float, int]:  # int | float: steps, or a fraction
        return Kind("float", optional)
    if members == [str]:
        return Kind("text", optional)
    origins = {get_origin(m) for m in members}
    if str in members and list in origins:
        return Kind("text_or_list", optional)
    if origins == {list}:
        (item,) = get_args(members[0]) or (str,)
        return Kind("list" if item is str else "datasets", optional)
    if origins == {dict}:
        return Kind("mapping", optional)
    return Kind("text", optional)


@dataclass(frozen=True)
class KnobInfo:
    """A knob as the editor, ``explain`` and the validator see it."""

    key: str
    section: Section
    summary: str
    what: str
    cost: str
    typical: str
    interacts: tuple[str, ...]
    basic: bool
    axolotl: bool
    aliases: tuple[str, ...]
    shapes_data: bool
    path_kind: PathKind | None
    dataset_types: tuple[str, ...]
    kind: Kind
    default: Any
    parent: str | None = None  # "datasets" for per-dataset knobs
    # The pydantic field (type, constraints); None until first asked for when read from the catalogue.
    known_field: Any = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        """Dotted path as used by ``--set`` (``datasets.N.type`` is shown as ``datasets[].type``)."""
        return f"{self.parent}[].{self.key}" if self.parent else self.key

    @property
    def field_info(self) -> Any:
        """The knob's pydantic ``FieldInfo`` (builds the knob models on first use)."""
        if self.known_field is None:
            from .base import model_field

            object.__setattr__(self, "known_field", model_field(self.key, self.parent))
        return self.known_field

    @property
    def annotation(self) -> Any:
        """The knob's Python type."""
        return self.field_info.annotation

    def reads_type(self, dataset_type: object) -> bool:
        """True when a dataset of ``dataset_type`` reads this knob ("chat_template" covers "chat_template.x")."""
        if not self.dataset_types:
            return True
        return isinstance(dataset_type, str) and any(
            dataset_type == name or dataset_type.startswith(name + ".") for name in self.dataset_types)
