"""Prompts as conversations: a prompts file (``generate``, ``sample_prompts_file``) read with file:line errors, and
the system prompt put in front."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError

ROLES = ("system", "user", "assistant", "tool")
Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Prompt:
    messages: Messages              # what the model answers: ends with a user (or tool) turn
    reference: str | None = None    # the expected answer, when known


def read_prompts(path: str | os.PathLike[str]) -> list[Prompt]:
    """Each line ``{"prompt": "..."}`` or ``{"messages": [{"role", "content"}, ...]}``, optionally "reference"; a
    conversation ending with an assistant turn is answered before that turn, which becomes the reference."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise TunedeckError(f"{path}: no such prompts file.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise TunedeckError(f"{path}: cannot be read as UTF-8 text ({err}).") from None
    prompts = [prompt_from_line(line, f"{path}:{n}") for n, line in enumerate(lines, 1) if line.strip()]
    if not prompts:
        raise TunedeckError(f"{path} holds no prompts: write one JSON object per line, {{\"prompt\": \"...\"}} or "
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}.")
    return prompts


def prompt_from_line(line: str, where: str) -> Prompt:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise TunedeckError(f"{where}: not valid JSON ({err.msg}, column {err.colno}). Each line is one object, "
                            "{\"prompt\": \"...\"} or {\"messages\": [...]}.") from None
    if not isinstance(row, dict):
        raise TunedeckError(f"{where}: a JSON {type(row).__name__}, not an object with \"prompt\" or \"messages\".")
    reference = row.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise TunedeckError(f"{where}: \"reference\" must be text.")
    if isinstance(row.get("prompt"), str) and row["prompt"].strip():
        return Prompt([{"role": "user", "content": row["prompt"]}], reference)
    if "messages" in row:
        return prompt_from_messages(row["messages"], where, reference)
    raise TunedeckError(f"{where}: needs \"prompt\" (non-empty text) or \"messages\" (a list of {{\"role\", "
                        f"\"content\"}}); it has {', '.join(map(repr, row)) or 'no fields'}.")


def prompt_from_messages(messages: Any, where: str, reference: str | None = None) -> Prompt:
    if not isinstance(messages, list) or not messages:
        raise TunedeckError(f"{where}: \"messages\" must be a non-empty list of {{\"role\", \"content\"}} objects.")
    turns: Messages = []
    for n, msg in enumerate(messages, 1):
        if not (isinstance(msg, dict) and msg.get("role") in ROLES and isinstance(msg.get("content"), str)):
            raise TunedeckError(f"{where}: message {n} must be {{\"role\": one of {', '.join(ROLES)}, \"content\": "
                                f"text}}; it is {json.dumps(msg)[:120]}.")
        turns.append({"role": msg["role"], "content": msg["content"]})
    if turns[-1]["role"] == "assistant":
        reference = turns.pop()["content"] if reference is None else reference
        if not turns:
            raise TunedeckError(f"{where}: the conversation is only an assistant turn: nothing to answer.")
    return Prompt(turns, reference)


def with_system_prompt(messages: Messages, system_prompt: str | None) -> Messages:
    if not system_prompt or (messages and messages[0]["role"] == "system"):
        return messages
    return [{"role": "system", "content": system_prompt}, *messages]
