"""Preference rows rendered as Axolotl renders them: a prompt, and a chosen and a rejected answer (or, for KTO, one
completion and a desirable label), as text.

The types and their rules follow Axolotl's prompt strategies (src/axolotl/prompt_strategies/dpo/chat_template.py,
dpo/chatml.py, dpo/llama3.py, kto/chatml.py, kto/llama3.py, orpo/chat_template.py):

* ``chat_template.default``: the prompt is ``field_messages`` (a list of messages, or a string taken as one user
  message) rendered with the chat template and its generation prompt; each answer (``field_chosen`` /
  ``field_rejected``: a string, one message, or a list whose last message counts) is rendered after a dummy user
  turn and cut from the first occurrence of its content, trailing whitespace stripped.
  Under ``rl: kto`` (tunedeck's own reading) the answer is ``field_completion`` in the same shapes, rendered the
  same way, and ``field_label`` holds true (desirable) or false.
* ``chat_template.argilla_chat`` (and ORPO's ``chat_template.argilla``): chosen and rejected are conversations;
  the prompt is the chosen conversation without its last message, the answers are the last messages.
* ``chatml.X`` / ``llama3.X``: fixed ChatML or Llama 3 markers around the row's fields (see ``_PROMPT_FIELD``).

Deliberate differences, each for a reason: a row Axolotl would crash on (a missing field, a role outside the
mapping) or train on uselessly (chosen identical to rejected, an empty prompt) is an error naming the file, the
line and what to do, before any training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DataError, fields_of, row_error
from .sources import Loc

# (system block, user turn ending in the assistant header, end of an answer) for the fixed-marker types.
MARKERS = {
    "chatml": ("<|im_start|>system\n{}<|im_end|>\n", "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
               "<|im_end|>"),
    "llama3": ("<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>",
               ("<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n"), "<|eot_id|>"),
}
# Which field holds the user's prompt, per fixed-marker format (ultra and argilla_chat read message lists).
_PROMPT_FIELD = {"intel": "question", "icr": "input", "prompt_pairs": "prompt", "ultra": "prompt",
                 "argilla": "instruction"}
_DEFAULT_ROLES = {"user": ["user"], "assistant": ["assistant"], "system": ["system"], "tool": ["tool"]}
_DUMMY_USER = {"role": "user", "content": "[[dummy_message]]"}


@dataclass
class PreferenceRow:
    """One rendered row: the prompt, and either chosen + rejected (pairs) or completion + label (KTO)."""

    prompt: str
    chosen: str = ""
    rejected: str = ""
    completion: str = ""
    label: bool | None = None


def render(row: dict, loc: Loc, ds: Any, kto: bool, template: str | None, tokenizer: Any) -> PreferenceRow:
    """Render ``row`` of dataset entry ``ds`` (``template``: the chat template, for chat_template.* types)."""
    family, _, name = ds.type.partition(".")
    if family == "chat_template":
        out = _render_chat(row, loc, ds, template or "", tokenizer, kto)
    else:
        out = _render_fixed(row, loc, family, name, kto)
    check_answers(out, loc, kto)
    return out


# --- chat_template.* ----------------------------------------------------------------------------------------------

def _render_chat(row: dict, loc: Loc, ds: Any, template: str, tokenizer: Any, kto: bool) -> PreferenceRow:
    mappings = {"role": ds.message_field_role or "role", "content": ds.message_field_content or "content"}
    mappings.update(ds.message_property_mappings or {})
    role_map = {source: target for target, sources in (ds.roles or _DEFAULT_ROLES).items() for source in sources}

    def turn(message: Any, what: str) -> dict[str, str]:
        if not isinstance(message, dict):
            raise row_error(loc, f"{what} is a {type(message).__name__}, not a message object.", key="type")
        role, content = message.get(mappings["role"]), message.get(mappings["content"])
        if role is None or not isinstance(content, str):
            raise row_error(loc, f"{what} needs a role field '{mappings['role']}' and a text field "
                            f"'{mappings['content']}'; it has {fields_of(message)}. Map them with "
                            "message_property_mappings: {role: <field>, content: <field>}.",
                            key="message_property_mappings")
        if role not in role_map:
            raise row_error(loc, f"{what} has role '{role}', which the roles mapping does not name (it maps "
                            f"{', '.join(sorted(role_map))}). Map it with roles:, e.g. roles: {{user: ['{role}']}} "
                            f"or {{assistant: ['{role}']}}.", key="roles")
        return {"role": role_map[role], "content": content}

    def answer(field: str, raw: Any) -> dict[str, str]:
        if isinstance(raw, str):
            return {"role": "assistant", "content": raw}
        if isinstance(raw, list):
            if not raw:
                raise row_error(loc, f"field '{field}' is an empty list: give the answer as text, a message or a "
                                "list of messages whose last one is the answer.", key="type")
            raw = raw[-1]
        return turn(raw, f"the answer in '{field}'")

    if ds.type == "chat_template.default":
        chosen_key, rejected_key = ds.field_chosen, ds.field_rejected
        messages = _field(row, loc, ds.field_messages, "the prompt's messages", "field_messages")
        if isinstance(messages, str):
            prompt_turns = [{"role": "user", "content": messages}]
        elif isinstance(messages, list):
            prompt_turns = [turn(m, f"message {n} of '{ds.field_messages}'") for n, m in enumerate(messages, 1)]
        else:
            raise row_error(loc, f"field '{ds.field_messages}' must be a list of messages or a text.",
                            key="field_messages")
    else:  # argilla_chat / argilla: the prompt is the chosen conversation without its answer
        chosen_key, rejected_key = "chosen", "rejected"
        conversation = _field(row, loc, "chosen", "the chosen conversation", "type")
        if not isinstance(conversation, list) or len(conversation) < 2:
            raise row_error(loc, "field 'chosen' must be a conversation (a list of messages) ending with the "
                            "answer, with the prompt before it.", key="type")
        prompt_turns = [turn(m, f"message {n} of 'chosen'") for n, m in enumerate(conversation[:-1], 1)]
        if ds.type == "chat_template.argilla" and isinstance(row.get("system"), str) and row["system"]:
            prompt_turns.insert(0, {"role": "system", "content": row["system"]})  # ORPO's parser reads it
    if not prompt_turns or not any(t["content"].strip() for t in prompt_turns):
        raise _empty_prompt(loc)
    prompt = apply_template(tokenizer, template, prompt_turns, True, loc)
    if kto:  # chat_template.default only (the rules refuse argilla types under kto)
        completion = answer(ds.field_completion, _field(row, loc, ds.field_completion, "the answer to judge",
                                                        "field_completion"))
        return PreferenceRow(prompt=prompt, completion=_answer_text(tokenizer, template, completion, loc),
                             label=_label(row, loc, ds.field_label, "field_label"))
    chosen = answer(chosen_key, _field(row, loc, chosen_key, "the chosen answer", "field_chosen"))
    rejected = answer(rejected_key, _field(row, loc, rejected_key, "the rejected answer", "field_rejected"))
    return PreferenceRow(prompt=prompt,
                         chosen=_answer_text(tokenizer, template, chosen, loc),
                         rejected=_answer_text(tokenizer, template, rejected, loc))


def apply_template(tokenizer: Any, template: str, turns: list[dict], generation_prompt: bool, loc: Loc) -> str:
    try:
        return tokenizer.apply_chat_template(turns, chat_template=template, add_generation_prompt=generation_prompt,
                                             tokenize=False)
    except Exception as err:
        raise row_error(loc, f"the chat template failed on this row: {err}. Check the roles and their order "
                        "against the template (or choose another chat_template).", key="chat_template") from None


def _answer_text(tokenizer: Any, template: str, message: dict[str, str], loc: Loc) -> str:
    """Axolotl's way: render after a dummy user turn, keep from the content on, strip trailing whitespace."""
    text = apply_template(tokenizer, template, [_DUMMY_USER, message], False, loc)
    return text[text.find(message["content"]):].rstrip()


# --- chatml.* / llama3.* -----------------------------------------------------------------------------------------

def _render_fixed(row: dict, loc: Loc, family: str, name: str, kto: bool) -> PreferenceRow:
    system_fmt, user_fmt, end = MARKERS[family]
    if name == "argilla_chat":  # the prompt and the answers are the first two messages of each list
        first = "completion" if kto else "chosen"
        prompt_text = _message_content(row, loc, first, 0)
        system = ""
    else:
        prompt_text = _text(row, loc, _PROMPT_FIELD[name])
        system = row.get("system") or ""
        system = system_fmt.format(system) if isinstance(system, str) and system else ""
    prompt = system + user_fmt.format(prompt_text)
    if not prompt_text.strip():
        raise _empty_prompt(loc)
    if kto:
        completion = _message_content(row, loc, "completion", 1) if name == "argilla_chat" else \
            _text(row, loc, "completion")
        return PreferenceRow(prompt=prompt, completion=completion + end, label=_label(row, loc))
    if name in ("argilla_chat", "ultra"):
        chosen, rejected = _message_content(row, loc, "chosen", 1), _message_content(row, loc, "rejected", 1)
    else:
        chosen, rejected = _text(row, loc, "chosen"), _text(row, loc, "rejected")
    return PreferenceRow(prompt=prompt, chosen=chosen + end, rejected=rejected + end)


def _field(row: dict, loc: Loc, key: str, what: str, knob: str) -> Any:
    if row.get(key) is None:
        hint = f" Set {knob} to the column that holds it." if knob.startswith("field_") else ""
        raise row_error(loc, f"missing field '{key}' ({what}); the row has {fields_of(row)}.{hint} Every "
                        "preference row needs a prompt, a chosen and a rejected answer.", key=knob)
    return row[key]


def _text(row: dict, loc: Loc, key: str) -> str:
    value = _field(row, loc, key, f"this type reads '{key}'", "type")
    if not isinstance(value, str):
        raise row_error(loc, f"field '{key}' must be text, got a {type(value).__name__}.", key="type")
    return value


def _message_content(row: dict, loc: Loc, key: str, index: int) -> str:
    messages = _field(row, loc, key, "a list of messages", "type")
    if not isinstance(messages, list) or len(messages) <= index or not isinstance(messages[index], dict) \
            or not isinstance(messages[index].get("content"), str):
        raise row_error(loc, f"field '{key}' must be a list of messages with a text 'content' in message "
                        f"{index + 1} (the {'prompt' if index == 0 else 'answer'}).", key="type")
    return messages[index]["content"]


def _label(row: dict, loc: Loc, key: str = "label", knob: str = "type") -> bool:
    label = row.get(key)
    if not isinstance(label, bool):
        hint = " (or set field_label to the column that holds it)" if knob == "field_label" else ""
        raise row_error(loc, f"KTO rows need a '{key}' that is true (a desirable completion) or false (an "
                        f"undesirable one); this row has {label!r}{hint}.", key=knob)
    return label


# --- bad rows -----------------------------------------------------------------------------------------------------

def _empty_prompt(loc: Loc) -> DataError:
    return row_error(loc, "the prompt is empty, so there is nothing the answers respond to: fill in the prompt "
                     "(or drop the row).", key="type")


def check_answers(out: PreferenceRow, loc: Loc, kto: bool) -> None:
    if kto:
        return
    if not out.chosen.strip() or not out.rejected.strip():
        which = "chosen" if not out.chosen.strip() else "rejected"
        raise row_error(loc, f"the {which} answer is empty: every pair needs a chosen and a rejected answer.",
                        key="type")
    if out.chosen == out.rejected:
        raise row_error(loc, "the chosen and the rejected answer are identical, so the pair teaches nothing (its "
                        "loss is constant): fix the pair or drop the row.", key="type")
