"""Mentor notes: each fires on the setting it is about and stays quiet on a sensible preset."""

from __future__ import annotations

import pytest

from engine.advice import advise, batch_change_advice
from engine.knobs import Config, Problem

SENSIBLE = {
    "adapter": "lora", "lora_target_linear": True, "learning_rate": 2e-4, "micro_batch_size": 2,
    "gradient_accumulation_steps": 4, "num_epochs": 3, "warmup_ratio": 0.05,
}


def keys(problems: list[Problem]) -> list[str]:
    return [p.key for p in problems]


def test_sensible_preset_gets_no_warnings() -> None:
    assert advise(Config(**SENSIBLE), num_rows=1000) == []


@pytest.mark.parametrize("change, rows, key, words", [
    ({"num_epochs": 1}, 100, "num_epochs", "13 optimizer steps"),
    ({"max_steps": 5}, None, "max_steps", "only 5 optimizer steps"),
    ({"gradient_accumulation_steps": 64}, 100, "gradient_accumulation_steps", "single, partly empty"),
    ({"warmup_ratio": None, "warmup_steps": 200}, 1000, "warmup_steps", "more than a third"),
    ({"warmup_ratio": 0.5}, 1000, "warmup_ratio", "more than a third"),
    ({"adapter": None, "lora_target_linear": False}, 1000, "learning_rate", "high for a full fine-tune"),
    ({"neftune_noise_alpha": 5, "num_epochs": 4}, 1000, "neftune_noise_alpha", "4 epochs"),
    ({"sample_packing": True, "attn_implementation": "eager"}, 1000, "attn_implementation", "eager"),
    ({"adapter": None, "lora_target_linear": False, "load_in_4bit": True, "learning_rate": 2e-5}, 1000,
     "load_in_4bit", "adapter: qlora"),
])
def test_each_warning_fires(change: dict, rows: int | None, key: str, words: str) -> None:
    notes = advise(Config(**(SENSIBLE | change)), num_rows=rows)
    hits = [n for n in notes if n.key == key]
    assert hits, [n.message for n in notes]
    assert words in hits[0].message and hits[0].severity == "warning"


def test_boundaries() -> None:
    # 20 steps exactly is enough; 19 is not
    c = Config(**SENSIBLE | {"num_epochs": 1, "warmup_ratio": None})
    assert "num_epochs" not in keys(advise(c, num_rows=160))  # 160 / 8 = 20 steps
    assert "num_epochs" in keys(advise(c, num_rows=152))  # 19 steps
    # 1e-4 is fine for a full fine-tune's upper edge; above is not
    full = SENSIBLE | {"adapter": None, "lora_target_linear": False}
    assert "learning_rate" not in keys(advise(Config(**full | {"learning_rate": 1e-4}), num_rows=1000))
    assert "neftune_noise_alpha" not in keys(advise(Config(**SENSIBLE | {"neftune_noise_alpha": 5}), num_rows=1000))


def test_packing_uses_token_counts() -> None:
    c = Config(**SENSIBLE | {"sample_packing": True, "sequence_len": 512, "num_epochs": 1})
    # 1000 rows of 100 tokens pack 5 to a sequence: 200 samples, 25 steps; unpacked it would be 125
    assert advise(c, num_rows=1000, num_tokens=[100] * 1000) == []
    notes = advise(c, num_rows=1000, num_tokens=[100] * 100)  # 20 samples -> 3 steps
    assert "num_epochs" in keys(notes)
    assert keys(advise(c, num_rows=1000)) == ["sample_packing"]  # unknown lengths: a note, not a guess
    assert advise(c, num_rows=1000)[0].severity == "info"


def test_known_problems_are_not_repeated() -> None:
    c = Config(**SENSIBLE | {"neftune_noise_alpha": 5, "num_epochs": 4})
    known = [Problem(key="neftune_noise_alpha", message="from the rules", severity="warning")]
    assert "neftune_noise_alpha" not in keys(advise(c, num_rows=1000, known=known))


def test_batch_change_when_processes_change() -> None:
    old = Config(**SENSIBLE)  # effective batch 8 on one process
    new = Config(**SENSIBLE | {"gpus_per_node": 2})
    [note] = batch_change_advice(old, new)
    assert "from 8 to 16" in note.message and "gradient_accumulation_steps to 2" in note.message
    odd = Config(**SENSIBLE | {"gpus_per_node": 3})
    [note] = batch_change_advice(old, odd)
    assert "from 8 to 24" in note.message and "closest" in note.message
    assert batch_change_advice(old, Config(**SENSIBLE | {"gpus_per_node": 2, "gradient_accumulation_steps": 2})) == []
    assert batch_change_advice(old, Config(**SENSIBLE | {"micro_batch_size": 4})) == []  # not a process change
