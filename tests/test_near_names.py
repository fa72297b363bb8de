"""near_names.close_matches: difflib's answer, with the names that cannot reach the cutoff skipped first."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.axolotl_keys import AXOLOTL_TOP_LEVEL_KEYS
from engine.preset import near_names
from engine.preset.near_names import close_matches

NAMES = sorted(AXOLOTL_TOP_LEVEL_KEYS)
misspelt = st.tuples(st.sampled_from(NAMES), st.integers(0, 40), st.text(max_size=3)).map(
    lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:])
words = st.one_of(misspelt, st.text(max_size=20), st.text(alphabet="aaaaaaaaaaaaaaaaaaaa_", max_size=40))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(words, st.sampled_from([1, 5]), st.sampled_from([0.6, 0.8]))
def test_same_answer_as_difflib(word: str, n: int, cutoff: float) -> None:
    assert close_matches(word, NAMES, n, cutoff) == difflib.get_close_matches(word, NAMES, n=n, cutoff=cutoff)


def test_hopeless_names_never_reach_difflib(monkeypatch) -> None:
    """An unknown key is compared in full with a handful of names, not all ~450 (a file of 40,000 unknown keys
    took minutes)."""
    ranked: list[int] = []
    real = difflib.get_close_matches

    def counting(word, possibilities, n, cutoff):  # type: ignore[no-untyped-def]
        ranked.append(len(possibilities))
        return real(word, possibilities, n=n, cutoff=cutoff)

    monkeypatch.setattr(near_names.difflib, "get_close_matches", counting)
    for i in range(50):
        close_matches(f"unknown_key_{i}", NAMES, 5, 0.8)
    assert max(ranked) < len(NAMES) // 10, max(ranked)
