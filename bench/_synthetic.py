"""Synthetic, realistic-looking chat and text rows for the data benchmarks (seeded, no downloads)."""

from __future__ import annotations

import random

# Words the bundled tiny tokenizer was trained on (presets/tiny), so token counts per word look like a real
# tokenizer's on real text (a 400-entry vocabulary shatters unseen words into bytes).
WORDS = ["the", "of", "a", "in", "is", "was", "by", "about", "answer", "capital", "country", "flows", "founded",
         "river", "through", "whose", "world", "questions", "Onmelvel", "Stozor", "Barim", "Zorba", "Loruka", "Velvel",
         "Ruba", "Onnia", "Tunedeck", "Baka", "Stosto", "Zorrimnia", "Niazor", "Niania", "Melvel", "Kaba", "Quaqua",
         "Rimon", "Velda", "Trida", "Loda"]


def sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + rng.choice(".?!")


def text(rng: random.Random, lo: int, hi: int) -> str:
    out, n = [], rng.randint(lo, hi)
    while sum(len(s.split()) for s in out) < n:
        out.append(sentence(rng, 4, 18))
    return " ".join(out)


def chat_rows(n: int, seed: int = 0) -> list[dict]:
    """System prompt (half the time), then 1-3 user/assistant exchanges of varied length (~50-400 tokens)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        messages = []
        if rng.random() < 0.5:
            messages.append({"role": "system", "content": text(rng, 5, 15)})
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            messages.append({"role": "user", "content": text(rng, 4, 20)})
            messages.append({"role": "assistant", "content": text(rng, 5, 40)})
        rows.append({"messages": messages})
    return rows
