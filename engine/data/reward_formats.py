"""Reward-model pairs (``bradley_terry.chat_template``) rendered as Axolotl renders them: each answer is a whole
conversation (the row's ``system`` when set, ``input`` as the user turn, the answer as the assistant turn) through the
chat template (src/axolotl/prompt_strategies/bradley_terry/chat_template.py).

The two conversations are returned as a PreferenceRow so that preference data's counting, fitting, preview and
export serve them too: ``prompt`` is the text both conversations share (the prompt turns and the assistant header)
and ``chosen`` / ``rejected`` the rest of each, so ``prompt + chosen`` is exactly the rendered chosen conversation.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import fields_of, row_error
from .preference_formats import PreferenceRow, apply_template, check_answers
from .sources import Loc

_FIELDS = ("input", "chosen", "rejected")


def render_bradley_terry(row: dict, loc: Loc, template: str, tokenizer: Any) -> PreferenceRow:
    for name in _FIELDS:
        if not isinstance(row.get(name), str):
            got = "missing" if row.get(name) is None else f"a {type(row[name]).__name__}"
            raise row_error(loc, f"field '{name}' is {got}; bradley_terry.chat_template reads text fields input "
                            f"(the user's prompt), chosen and rejected (the two answers) and an optional system; "
                            f"the row has {fields_of(row)}.", key="type")
        if not row[name].strip():
            raise row_error(loc, f"field '{name}' is empty: every pair needs a prompt (input), a chosen and a "
                            "rejected answer; fill it in (or drop the row).", key="type")
    system = row.get("system")
    turns = [{"role": "system", "content": system}] if isinstance(system, str) and system else []
    turns.append({"role": "user", "content": row["input"]})
    chosen = apply_template(tokenizer, template, [*turns, {"role": "assistant", "content": row["chosen"]}], False, loc)
    rejected = apply_template(tokenizer, template, [*turns, {"role": "assistant", "content": row["rejected"]}],
                              False, loc)
    prompt = apply_template(tokenizer, template, turns, True, loc)
    if not (chosen.startswith(prompt) and rejected.startswith(prompt)):  # a template that renders turns otherwise
        prompt = os.path.commonprefix([chosen, rejected])  # noqa: RUF071  (text, not paths: the shared start)
    out = PreferenceRow(prompt=prompt, chosen=chosen[len(prompt):], rejected=rejected[len(prompt):])
    check_answers(out, loc, kto=False)
    return out

