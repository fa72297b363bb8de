"""Look-ups over the knobs declared on :class:`Config` and :class:`DatasetConfig`.

They read the knob catalogue (:mod:`engine.knobs.catalogue`), so looking a knob up does not build the pydantic
models; a knob's ``field_info`` does, on first use.
"""

from __future__ import annotations

from functools import cache

from . import catalogue
from .facts import KnobInfo, PathKind, Section


@cache
def _knobs() -> tuple[tuple[KnobInfo, ...], tuple[KnobInfo, ...]]:
    return catalogue.load()


def top_level_knobs() -> tuple[KnobInfo, ...]:
    return _knobs()[0]


def dataset_knobs() -> tuple[KnobInfo, ...]:
    return _knobs()[1]


def all_knobs() -> tuple[KnobInfo, ...]:
    return top_level_knobs() + dataset_knobs()


@cache
def _by_name() -> dict[str, KnobInfo]:
    table: dict[str, KnobInfo] = {}
    for k in dataset_knobs():
        table[f"datasets.{k.key}"] = k
        table[f"datasets[].{k.key}"] = k
    for k in top_level_knobs():  # top level wins for names both have (chat_template)
        table[k.key] = k
        for alias in k.aliases:
            table[alias] = k
    return table


def get_knob(name: str) -> KnobInfo | None:
    """A knob by key, alias, or dataset path (``datasets.type``, ``datasets[].type``, ``datasets.0.type``)."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "datasets" and parts[1].isdecimal():
        name = f"datasets.{parts[2]}"
    return _by_name().get(name)


def knobs_by_section(basic_only: bool = False) -> dict[Section, list[KnobInfo]]:
    out: dict[Section, list[KnobInfo]] = {s: [] for s in Section}
    for k in all_knobs():
        if basic_only and not k.basic:
            continue
        out[k.section].append(k)
    return out


def data_shaping_keys() -> tuple[str, ...]:
    """Top-level knobs that can change which rows and tokens the data has (``datasets`` among them), with their
    other spellings."""
    return tuple(name for k in top_level_knobs() if k.shapes_data for name in (k.key, *k.aliases))


def path_knobs(kind: PathKind | None = None) -> tuple[KnobInfo, ...]:
    """Top-level knobs whose value may be a local path (of ``kind`` when given)."""
    return tuple(k for k in top_level_knobs() if k.path_kind is not None and kind in (None, k.path_kind))
