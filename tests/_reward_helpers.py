"""Helpers for the reward-model tests: a dozen hand-written pairs (a real answer from the bundled demo chats
preferred over "I do not know.") and the preset settings that train a reward model on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _train_helpers import CHAT

REJECTED = "I do not know."


def reward_pairs(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    """The pairs file (type bradley_terry.chat_template) and its rows."""
    rows = []
    for line in CHAT.read_text().splitlines()[:12]:
        said = {m["role"]: m["content"] for m in json.loads(line)["messages"]}
        rows.append({"system": said["system"], "input": said["user"], "chosen": said["assistant"],
                     "rejected": REJECTED})
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def reward_settings(data: Path) -> dict[str, Any]:
    """A reward model on ``data`` (ChatML, short rows, a few epochs at a high rate: the tiny model learns fast)."""
    return {"reward_model": True, "chat_template": "chatml", "sequence_len": 128,
            "datasets": [{"path": str(data), "type": "bradley_terry.chat_template"}],
            "num_epochs": 4, "learning_rate": 1e-3, "seed": 7}


def conversation(row: dict[str, str], answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": row["system"]}, {"role": "user", "content": row["input"]},
            {"role": "assistant", "content": answer}]
