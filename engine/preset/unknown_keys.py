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
    close = difflib.get_close_matches(key, list(ours), n=1, cutoff=TYPO_CUTOFF)
    if close:
        return KeyVerdict("typo", suggestion=close[0])
    near_axolotl = difflib.get_close_matches(key, sorted(axolotl), n=1, cutoff=TYPO_CUTOFF)
    return KeyVerdict("unknown", suggestion=near_axolotl[0] if near_axolotl else None)


def suggest(key: str, *, in_dataset: bool = False) -> str | None:
    """The closest known spelling for ``key`` (ours first, then Axolotl's), if any is close."""
    ours = dataset_names() if in_dataset else top_level_names()
    close = difflib.get_close_matches(key, list(ours), n=1, cutoff=TYPO_CUTOFF)
    return close[0] if close else None
