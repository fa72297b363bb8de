"""Regenerate the bundled demo data and tiny model: python presets/tiny/build.py

The data is a small invented world (countries, capitals, rivers, founders) so that a model trained from
random weights can visibly learn it on a CPU in about a minute. Deterministic: same files every time.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYLLABLES = ["zor", "ba", "mel", "ka", "tri", "on", "vel", "da", "ru", "nia", "sto", "pel", "qua", "rim", "lo"]


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make_world(seed: int = 7, countries: int = 40) -> list[dict[str, str]]:
    rng = random.Random(seed)
    world = []
    for _ in range(countries):
        world.append({
            "country": _name(rng, 3), "capital": _name(rng, 2), "river": _name(rng, 2),
            "founder": f"{_name(rng, 2)} {_name(rng, 2)}", "year": str(rng.randint(1100, 1950)),
        })
    return world


def chat_rows(world: list[dict[str, str]]) -> list[dict]:
    rows = []
    for w in world:
        qa = [
            (f"What is the capital of {w['country']}?", f"The capital of {w['country']} is {w['capital']}."),
            (f"Which river flows through {w['capital']}?", f"The {w['river']} flows through {w['capital']}."),
            (f"Who founded {w['country']}?", f"{w['country']} was founded by {w['founder']} in {w['year']}."),
        ]
        for question, answer in qa:
            rows.append({"messages": [
                {"role": "system", "content": "You answer questions about the world of Tunedeck."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]})
    return rows


def completion_rows(world: list[dict[str, str]]) -> list[dict]:
    return [{"text": (
        f"{w['country']} is a country whose capital is {w['capital']}. The {w['river']} flows through "
        f"{w['capital']}. {w['country']} was founded by {w['founder']} in {w['year']}."
    )} for w in world]


def main() -> None:
    world = make_world()
    chats, facts = chat_rows(world), completion_rows(world)
    for name, rows in (("chat.jsonl", chats), ("facts.jsonl", facts)):
        with open(HERE / name, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
    from engine.tiny_model import build_tiny_model

    texts = [m["content"] for r in chats for m in r["messages"]] + [r["text"] for r in facts]
    build_tiny_model(HERE / "model", texts, vocab_size=600, hidden_size=128, num_layers=2, num_heads=4)


if __name__ == "__main__":
    main()
