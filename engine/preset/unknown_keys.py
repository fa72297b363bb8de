"""Sorting the keys of a preset: tunedeck's own, aliases, Axolotl keys we keep, typos and strangers."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Literal

from engine.axolotl_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_TOP_LEVEL_KEYS
from engine.knobs.registry import dataset_knobs, top_level_knobs

TYPO_CUTOFF = 0.8

Verdict = Literal["known", "kept", "typo", "unknown"]


@dataclass(frozen=True)
class KeyVerdict:
    verdict: Verdict
    canonical: str | None = None  # the knob's name for known keys (aliases resolved)
    suggestion: str | None = None  # for typos (and near misses of Axolotl-only keys)


@cache
def top_level_names() -> dict[str, str]:
    """Every accepted top-level spelling → the knob's name."""
    names: dict[str, str] = {}
    for k in top_level_knobs():
        names[k.key] = k.key
        for alias in k.aliases:
            names[alias] = k.key
    return names


@cache
def dataset_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for k in dataset_knobs():
        names[k.key] = k.key
        for alias in k.aliases:
            names[alias] = k.key
    return names


def classify(key: str, *, in_dataset: bool = False) -> KeyVerdict:
    """What a key is: one of ours, an Axolotl key we keep, a near miss of one of ours, or unknown to both."""
    ours = dataset_names() if in_dataset else top_level_names()
    if key in ours:
        return KeyVerdict("known", canonical=ours[key])
    axolotl = AXOLOTL_DATASET_KEYS if in_dataset else AXOLOTL_TOP_LEVEL_KEYS
    if key in axolotl:
        return KeyVerdict("kept")
    close = _closest(key, ours)
    if close:
        return KeyVerdict("typo", suggestion=close)
    near_axolotl = difflib.get_close_matches(key, sorted(axolotl), n=1, cutoff=TYPO_CUTOFF)
    return KeyVerdict("unknown", suggestion=near_axolotl[0] if near_axolotl else None)


def suggest(key: str, *, in_dataset: bool = False) -> str | None:
    """The closest of tunedeck's spellings for ``key``, if one is close."""
    return _closest(key, dataset_names() if in_dataset else top_level_names())


def _closest(key: str, names: dict[str, str]) -> str | None:
    """difflib's best match above the cutoff; else a name one swap of neighbouring letters away ("tpye")."""
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=TYPO_CUTOFF)
    if close:
        return close[0]
    if len(key) >= 4:
        for name in names:
            if len(name) == len(key) and _one_swap(key, name):
                return name
    return None


def _one_swap(a: str, b: str) -> bool:
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
