"""Sorting the keys of a preset: tunedeck's own, aliases, Axolotl keys we keep, typos and strangers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from engine.axolotl_keys import (
    AXOLOTL_DATASET_KEYS,
    AXOLOTL_TOP_LEVEL_KEYS,
    INTEGRATION_PREFIXES,
)
from engine.knobs.registry import dataset_knobs, top_level_knobs

from .near_names import close_matches

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
    near_axolotl = [n for n in close_matches(key, sorted(axolotl), 5, TYPO_CUTOFF)
                    if _same_integration(key, n)]
    return KeyVerdict("unknown", suggestion=near_axolotl[0] if near_axolotl else None)


def _integration(name: str) -> str | None:
    """The integration a key belongs to by its prefix (swanlab_mode, use_swanlab → swanlab), if any."""
    parts = name.split("_")
    prefix = parts[1] if parts[0] == "use" and len(parts) > 1 else parts[0]
    return prefix if prefix in INTEGRATION_PREFIXES else None


def _same_integration(key: str, name: str) -> bool:
    return _integration(key) == _integration(name)


def suggest(key: str, *, in_dataset: bool = False) -> str | None:
    """The closest of tunedeck's spellings for ``key``, if one is close."""
    return _closest(key, dataset_names() if in_dataset else top_level_names())


def _closest(key: str, names: dict[str, str]) -> str | None:
    """difflib's best match above the cutoff; else a name one swap of neighbouring letters away ("tpye"). Never
    a name of another integration (swanlab_mode is no misspelt wandb_mode)."""
    close = [n for n in close_matches(key, list(names), 5, TYPO_CUTOFF) if _same_integration(key, n)]
    if close:
        return close[0]
    if len(key) >= 4:
        for name in names:
            if len(name) == len(key) and _one_swap(key, name):
                return name
    return None


def _one_swap(a: str, b: str) -> bool:
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
