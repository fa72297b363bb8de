"""difflib's close matches, with the hopeless names set aside first in a few integer operations each.

``difflib.get_close_matches`` costs about a millisecond per key against Axolotl's ~450 names, which a file of
tens of thousands of unknown keys turns into minutes. A name can only reach the cutoff when its length and its
letters overlap the key's enough (difflib's own ``real_quick_ratio`` and ``quick_ratio`` bounds); those bounds
are computed here from precomputed letter bitmasks, and difflib then ranks only the names that pass. The
answer is the same as difflib's over every name.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from functools import cache

_BUCKETS = 64  # characters share a bucket by code point: sharing only raises the bound, so it stays a bound
_SLOTS = 16  # occurrences one bucket holds; a fuller bucket gives no mask (and no skipping)


def _mask(text: str) -> int | None:
    """The multiset of ``text``'s characters as bits (bucket, occurrence): ``popcount(a & b)`` is then at least
    the letters two texts share. None when a bucket holds more than _SLOTS characters."""
    bits = 0
    for bucket, count in Counter(ord(char) % _BUCKETS for char in text).items():
        if count > _SLOTS:
            return None
        bits |= ((1 << count) - 1) << (bucket * _SLOTS)
    return bits


@cache
def _indexed(names: tuple[str, ...]) -> tuple[tuple[str, int, int | None], ...]:
    return tuple((name, len(name), _mask(name)) for name in names)


def close_matches(word: str, names: Iterable[str], n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches(word, names, n, cutoff)``, faster: names that cannot reach the cutoff skipped."""
    candidates = tuple(names)
    mine = _mask(word)
    if mine is None:
        return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
    size = len(word)
    passing = []
    for name, length, mask in _indexed(candidates):
        total = size + length
        if total and 2.0 * min(size, length) / total < cutoff:  # real_quick_ratio's bound, as difflib computes it
            continue
        if total and mask is not None and 2.0 * (mine & mask).bit_count() / total < cutoff:  # quick_ratio's
            continue
        passing.append(name)
    return difflib.get_close_matches(word, passing, n=n, cutoff=cutoff)
