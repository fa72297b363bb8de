"""``type: chat_template``: conversations rendered with a chat template, only the trained turns learned.

Label semantics follow Axolotl's ``ChatTemplateStrategy`` (src/axolotl/prompt_strategies/chat_template.py):

* input_ids are the whole conversation rendered by the template and tokenized without extra special tokens
  (exactly ``tokenizer.apply_chat_template(turns, tokenize=True)``).
* a turn is trained when ``train_on_inputs`` or its role is in ``roles_to_train``; its *content* tokens get
  labels, never the role header around it.
* after each turn's content, the first EOT token (``eot_tokens``, default ``[eos_token]``) and the first EOS
  token within 3 tokens are labelled per ``train_on_eot`` / ``train_on_eos``: ``all`` (every turn), ``turn``
  (trained turns), ``last`` (only the last one found), ``none``. As in Axolotl, untrained turns are skipped
  (and so never count as "last") unless one of the two options is ``all``.

How a turn's content is found differs in method, not in result. Axolotl renders the conversation up to each turn
twice (with the content and with a dummy) and diffs the token ids: two renders and two tokenizations per turn.
We render the whole conversation once with each content replaced by a unique marker, substitute the contents
back to get the exact text and the character span of every content, check that this equals the real render,
tokenize all conversations in one fast batch call and map spans to tokens with the offsets mapping (a token that
overlaps the content counts, which is what the diff finds when a header and the content share a token). When a
template transforms content in a way the check catches (it renders something else than the plain
substitution), that row falls back to :func:`reference_tokenize`, a faithful re-implementation of the per-turn
diff. ``bench/preprocess.py`` times both; the tests check they agree.

Deliberate differences from Axolotl, each for a reason:
* the turn locator uses the full conversation's render, not renders of the prefix up to the turn; they only
  differ for templates that render earlier turns differently once later turns exist (e.g. dropping old
  reasoning), where ours labels what the model actually sees.
* Axolotl's diff against the dummy content '[[dummy_message]]' stops at content tokens equal to the dummy's
  edge tokens (content starting with '[[' or ending with ']]', e.g. JSON or code; or any character both map
  to <unk>), leaving them untrained. We train every content token: the diff's blind spot is an accident.
* a turn whose content is empty (Axolotl: "could not find boundary") gets no labels and no EOS/EOT search;
  Axolotl then searches from index -1, which can label the conversation's very last token by accident.
* role names the template is not told about (not system/user/assistant/tool, not a target of ``roles``, not in
  ``roles_to_train``) are an error that suggests a ``roles`` mapping; Axolotl passes them through silently.
* a message without content, or with non-text content, is an error naming the row, not a template crash.
* the legacy path Axolotl takes when roles_to_train and train_on_eos are both empty is not reproduced: our
  config always has a train_on_eos value.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from .chat_keep_end import keep_end
from .errors import DataError, fields_of, row_error
from .sources import Loc, Rows
from .templates import dataset_template
from .tokenized import IGNORE, Tokenized, batched

DEFAULT_ROLES = {"human": "user", "user": "user", "assistant": "assistant", "gpt": "assistant",
                 "system": "system", "tool": "tool"}
KNOWN_ROLES = {"system", "user", "assistant", "tool"}
_MARK = re.compile("\ue000(\\d+)\ue001")


@dataclass
class ChatSettings:
    template: str
    field_messages: str
    mappings: dict[str, str]  # template key -> message key
    role_map: dict[str, str]
    roles_to_train: set[str]
    known_roles: set[str]
    train_on_inputs: bool
    train_on_eos: str
    train_on_eot: str
    last_turn_only: bool  # only the last message that would be trained is (turbo-alignment's only_answer_loss)
    keep_end_within: int | None  # keep_dialogue_end: sequence_len, which long rows are cut to from their start
    eos_id: int | None
    eot_ids: set[int]
    extra_keys: tuple[str, ...]  # other message keys the template reads (tool_calls, name, ...)
    template_kwargs: dict[str, Any]


def chat_settings(ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> ChatSettings:
    """Everything the chat tokenizer needs, resolved and validated once per dataset entry."""
    template = dataset_template(ds, cfg, tokenizer, index)
    mappings = {"role": ds.message_field_role or "role", "content": ds.message_field_content or "content"}
    mappings.update(ds.message_property_mappings or {})
    if ds.roles:
        role_map = {source: target for target, sources in ds.roles.items() for source in sources}
    else:
        role_map = dict(DEFAULT_ROLES)
    roles_to_train = {role_map.get(r, r) for r in ds.roles_to_train}
    train_on_eot = ds.train_on_eot if ds.train_on_eot is not None else ds.train_on_eos
    eot_ids = _eot_ids(cfg.eot_tokens, tokenizer, template, ds.train_on_eos, train_on_eot)
    known = KNOWN_ROLES | set((ds.roles or {}).keys()) | roles_to_train
    extra = tuple(k for k in ("tool_calls", "name", "tool_call_id", "reasoning_content", "thinking")
                  if k not in mappings and k in template)
    return ChatSettings(
        template=template, field_messages=ds.field_messages, mappings=mappings, role_map=role_map,
        roles_to_train=roles_to_train, known_roles=known, train_on_inputs=cfg.train_on_inputs,
        train_on_eos=ds.train_on_eos, train_on_eot=train_on_eot, last_turn_only=ds.train_last_turn_only,
        keep_end_within=cfg.sequence_len if ds.keep_dialogue_end else None,
        eos_id=tokenizer.eos_token_id,
        eot_ids=eot_ids, extra_keys=extra, template_kwargs=dict(tokenizer.special_tokens_map),
    )


def _eot_ids(eot_tokens: list[str] | None, tokenizer: Any, template: str, on_eos: str, on_eot: str) -> set[int]:
    """Axolotl's _validate_eot_and_eos_tokens: default [eos]; drop tokens absent from the template; one id each."""
    eos = tokenizer.eos_token
    if eot_tokens is None:
        return {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    if eot_tokens == [eos]:
        return {tokenizer.eos_token_id}
    ids: set[int] = set()
    for token in eot_tokens:
        if token not in template:
            continue  # ignored, as in Axolotl; template_warnings says so
        encoded = tokenizer.encode(token, add_special_tokens=False)
        if len(encoded) != 1:
            raise DataError(f"eot token '{token}' is not a single token for this tokenizer (it encodes to "
                            f"{len(encoded)} ids). Add it under tokens: (or special_tokens:) so it becomes one.",
                            key="eot_tokens")
        ids.add(encoded[0])
    if eos in eot_tokens and on_eos != on_eot:
        raise DataError(f"eos_token '{eos}' is in eot_tokens, so train_on_eos ({on_eos}) and train_on_eot "
                        f"({on_eot}) must agree. Set them to the same value or drop it from eot_tokens.",
                        key="datasets.train_on_eot")
    return ids


def template_warnings(ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> list[str]:
    """Axolotl's warnings about end-of-turn tokens the chat template never writes: no turn ends with a learned
    token, so the model does not learn where its answers stop (Axolotl only logs them; we show them in preview
    and preprocess)."""
    template = dataset_template(ds, cfg, tokenizer, index)
    eos = tokenizer.eos_token
    if cfg.eot_tokens is None or cfg.eot_tokens == [eos]:
        if eos is None or eos in template or "eos_token" in template:
            return []
        return [(f"dataset {index}: the chat template never writes the EOS token '{eos}', so no turn ends with a "
                 "token the model learns, and it does not learn where its answers stop. Set eot_tokens: to the "
                 "token the template ends each turn with (e.g. [\"<|im_end|>\"] for ChatML, [\"<|eot_id|>\"] "
                 "for Llama 3).")]
    return [f"dataset {index}: eot_tokens lists '{token}', which the chat template never writes, so it is ignored "
            "(as in Axolotl). Remove it from eot_tokens, or list the token the template ends each turn with."
            for token in cfg.eot_tokens if token not in template]


# --- rows -> turns ------------------------------------------------------------------------------------------------

def conversation(row: dict, loc: Loc, s: ChatSettings, *, parts: bool = False) -> list[dict]:
    """The row's messages as template turns (roles mapped), or a DataError naming the row and the field. With
    ``parts`` (a vision run) a content may also be a list of text and image parts (engine.data.vision reads it)."""
    messages = row.get(s.field_messages)
    if messages is None:
        raise row_error(loc, f"missing field '{s.field_messages}' (the messages) for a chat_template dataset; the "
                        f"row has {fields_of(row)}. Set field_messages: to the column holding the conversation.",
                        key="field_messages")
    if not isinstance(messages, list) or not messages:
        raise row_error(loc, f"field '{s.field_messages}' must be a non-empty list of messages.", key="field_messages")
    turns = []
    role_key, content_key = s.mappings["role"], s.mappings["content"]
    first_role = messages[0].get(role_key) if isinstance(messages[0], dict) else None
    first_is_system = first_role is not None and s.role_map.get(first_role, first_role) == "system"
    if isinstance(row.get("system"), str) and not first_is_system:
        turns.append({"role": "system", "content": row["system"]})  # Axolotl's field_system
    for n, msg in enumerate(messages, 1):
        if not isinstance(msg, dict):
            raise row_error(loc, f"message {n} is a {type(msg).__name__}, not an object.", key="field_messages")
        turn = {k: msg[src] for k, src in s.mappings.items() if msg.get(src) is not None}
        if "role" not in turn:
            raise row_error(loc, f"message {n} has no role field '{role_key}'; it has {fields_of(msg)}. Map the role "
                            "with message_property_mappings: {role: <field>} (ShareGPT data: {role: from, content: "
                            "value}).", key="message_property_mappings")
        if not isinstance(turn.get("content"), str) and not (parts and isinstance(turn.get("content"), list)):
            what = "has no content field" if "content" not in turn else "has non-text content in"
            raise row_error(loc, f"message {n} {what} '{content_key}'; it has {fields_of(msg)}. Map the content "
                            "with message_property_mappings: {content: <field>}.", key="message_property_mappings")
        role = s.role_map.get(turn["role"], turn["role"])
        if role not in s.known_roles:
            raise row_error(loc, f"message {n} has role '{turn['role']}', which the chat template does not know "
                            f"(it knows {', '.join(sorted(s.known_roles))}). Map it with roles:, e.g. roles: "
                            f"{{assistant: ['{turn['role']}']}} or {{user: ['{turn['role']}']}}.", key="roles")
        turn["role"] = role
        for k in s.extra_keys:
            if msg.get(k) is not None:
                turn[k] = msg[k]
        turns.append(turn)
    return turns


def training_text(row: dict, ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> str:
    """One row's conversation as training renders it (before tokenizing): the reference for template fidelity."""
    s = chat_settings(ds, cfg, tokenizer, index)
    loc: Loc = ("", None, 0)
    return _Renderer(s).render(conversation(row, loc, s), loc)


# --- labels from turn spans (shared by the fast path and the reference) -----------------------------------------

def trained_turns(turns: list[dict], s: ChatSettings) -> list[bool]:
    """Which turns' contents are learned: the trained roles (or all, train_on_inputs); with last_turn_only, only
    the last of those."""
    train = [s.train_on_inputs or turn["role"] in s.roles_to_train for turn in turns]
    if s.last_turn_only and any(train):
        last = len(train) - 1 - train[::-1].index(True)
        train = [i == last for i in range(len(train))]
    return train


def label_turns(ids: list[int], spans: list[tuple[int, int] | None], turns: list[dict], s: ChatSettings) -> list[int]:
    labels = [IGNORE] * len(ids)
    last = {"eot": -1, "eos": -1}
    either_all = s.train_on_eos == "all" or s.train_on_eot == "all"
    for train, span in zip(trained_turns(turns, s), spans, strict=False):
        if (not train and not either_all) or span is None:
            continue
        start, end = span
        if train:
            labels[start:end] = ids[start:end]
        for kind, wanted, option in (("eot", s.eot_ids, s.train_on_eot), ("eos", {s.eos_id}, s.train_on_eos)):
            for j in range(end, min(len(ids), end + 4)):  # Axolotl: the first one, at most 3 tokens after
                if ids[j] in wanted:
                    last[kind] = j
                    if option == "all" or (option == "turn" and train):
                        labels[j] = ids[j]
                    break
    for kind, option in (("eot", s.train_on_eot), ("eos", s.train_on_eos)):
        if option == "last" and last[kind] != -1:
            labels[last[kind]] = ids[last[kind]]
    return labels


# --- fast path ------------------------------------------------------------------------------------------------------

def tokenize_chat(rows: Rows, ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> Tokenized:
    s = chat_settings(ds, cfg, tokenizer, index)
    encode = _encoder(tokenizer)
    renderer = _Renderer(s)
    out = Tokenized()
    for start, stop in batched(len(rows.rows), 1000):
        convs = [conversation(rows.rows[i], rows.locs[i], s) for i in range(start, stop)]
        texts = [renderer.render(c, rows.locs[start + i]) for i, c in enumerate(convs)]
        char_spans = ([_char_spans(renderer.marked(c), c, t) for c, t in zip(convs, texts, strict=False)] if encode
                      else [None] * len(convs))
        good = [i for i, cs in enumerate(char_spans) if cs is not None]
        encodings = dict(zip(good, encode([texts[i] for i in good]), strict=False)) if good else {}
        for i, conv in enumerate(convs):
            enc, marked = encodings.get(i), char_spans[i]
            if enc is not None and marked is not None:  # encoded rows are the ones with character spans
                ids = enc.ids
                spans = _token_spans(enc, marked)
            else:
                ids, spans = _reference_spans(conv, s, tokenizer)
            labels = label_turns(ids, spans, conv, s)
            if s.keep_end_within is not None and len(ids) > s.keep_end_within:
                loc = rows.locs[start + i]

                def tokenize_one(turns: list[dict], loc: Loc = loc) -> tuple[list[int], list[int]]:
                    return _tokenize_one(turns, loc, s, renderer, encode, tokenizer)

                cut = keep_end(conv, s.keep_end_within, tokenize_one)
                if cut is not None:
                    ids, labels = cut
                    out.truncated += 1
            out.add(ids, labels, start + i)
    return out


def _tokenize_one(conv: list[dict], loc: Loc, s: ChatSettings, renderer: _Renderer, encode: Any,
                  tokenizer: Any) -> tuple[list[int], list[int]]:
    """One conversation's ids and labels, as tokenize_chat makes them for a batch."""
    text = renderer.render(conv, loc)
    marked = _char_spans(renderer.marked(conv), conv, text) if encode else None
    if marked is not None:
        enc = encode([text])[0]
        ids, spans = enc.ids, _token_spans(enc, marked)
    else:
        ids, spans = _reference_spans(conv, s, tokenizer)
    return ids, label_turns(ids, spans, conv, s)


def _encoder(tokenizer: Any) -> Any:
    """The Rust tokenizer's encode_batch, when calling it directly gives exactly ``tokenizer(texts,
    add_special_tokens=False)`` (no truncation/padding set, same special-token splitting); else None."""
    backend = getattr(tokenizer, "_tokenizer", None)
    if not getattr(tokenizer, "is_fast", False) or backend is None or not hasattr(backend, "encode_batch"):
        return None
    if backend.truncation or backend.padding:
        return None
    splits_special = bool(getattr(tokenizer, "split_special_tokens", False))
    if bool(getattr(backend, "encode_special_tokens", False)) != splits_special:
        return None
    return lambda texts: backend.encode_batch(texts, add_special_tokens=False)


class _Renderer:
    """Renders like ``apply_chat_template(..., tokenize=False)``; caches the marker render per role sequence."""

    def __init__(self, s: ChatSettings):
        from transformers.utils.chat_template_utils import _compile_jinja_template

        self.s = s
        self.compiled = _compile_jinja_template(s.template)
        self.cache: dict[tuple, str] = {}

    def render(self, conv: list[dict], loc: Loc) -> str:
        try:
            if self.s.extra_keys:  # tool calls, reasoning...: let transformers prepare them exactly
                return _render([conv], self.s, [loc])[0]
            return self.compiled.render(messages=conv, tools=None, documents=None, add_generation_prompt=False,
                                        **self.s.template_kwargs)
        except DataError:
            raise
        except Exception:
            return _render([conv], self.s, [loc])[0]  # raises a DataError naming the row

    def marked(self, conv: list[dict]) -> str:
        # the marker render depends on everything but the contents: key it by the rest of each turn
        key = None if self.s.extra_keys else tuple(
            t["role"] if len(t) == 2 else tuple(sorted((k, repr(v)) for k, v in t.items() if k != "content"))
            for t in conv)
        if key is not None and key in self.cache:
            return self.cache[key]
        marked_conv = [{**t, "content": f"\ue000{n}\ue001"} for n, t in enumerate(conv)]
        try:
            text = self.render(marked_conv, ("", None, 0))
        except DataError:
            text = ""  # the template rejects markers: no fast path for this shape
        if key is not None:
            self.cache[key] = text
        return text


def _render(convs: list[list[dict]], s: ChatSettings, locs: list[Loc]) -> list[str]:
    from transformers.utils.chat_template_utils import render_jinja_template

    try:
        # transformers annotates `-> str`, but returns (rendered texts, generation indices)
        return render_jinja_template(conversations=convs, chat_template=s.template, **s.template_kwargs)[0]  # type: ignore[return-value]
    except Exception:
        pass
    for conv, loc in zip(convs, locs, strict=False):  # find the row the template rejects
        try:
            render_jinja_template(conversations=[conv], chat_template=s.template, **s.template_kwargs)
        except Exception as err:
            raise row_error(loc, f"the chat template failed on this conversation: {err}. Check the roles and "
                            "their order against the template (or choose another chat_template).",
                            key="chat_template") from None
    raise DataError("the chat template failed on a batch of conversations.", key="chat_template")


def _char_spans(marked: str, conv: list[dict], text: str) -> list[tuple[int, int] | None] | None:
    """Each turn's content span in ``text``, or None when the template does more than insert the content."""
    spans: list[tuple[int, int] | None] = [None] * len(conv)
    pieces = []
    pos = 0
    last = 0
    for m in _MARK.finditer(marked):
        n = int(m.group(1))
        if n >= len(conv) or spans[n] is not None:
            return None  # content rendered twice: ambiguous
        literal = marked[last:m.start()]
        content = conv[n]["content"]
        pieces += [literal, content]
        pos += len(literal)
        spans[n] = (pos, pos + len(content))
        pos += len(content)
        last = m.end()
    pieces.append(marked[last:])
    return spans if "".join(pieces) == text else None


def _token_spans(enc: Any, spans: list[tuple[int, int] | None]) -> list[tuple[int, int] | None]:
    """Token index ranges of the tokens overlapping each character span."""
    out: list[tuple[int, int] | None] = []
    offsets = None
    for span in spans:
        if span is None or span[0] == span[1]:
            out.append(None)
            continue
        first, last = enc.char_to_token(span[0]), enc.char_to_token(span[1] - 1)
        if first is None or last is None:  # a character no token covers (e.g. a normalizer dropped it)
            if offsets is None:
                offsets = enc.offsets
            first = bisect_right([o[1] for o in offsets], span[0])
            stop = bisect_left([o[0] for o in offsets], span[1], lo=first)
            out.append((first, stop) if stop > first else None)
        else:
            out.append((first, last + 1))
    return out


# --- reference: Axolotl's per-turn render-and-diff ---------------------------------------------------------------

def _apply(turns: list[dict], s: ChatSettings, tokenizer: Any, real_last_index: int) -> list[int]:
    return list(tokenizer.apply_chat_template(turns, chat_template=s.template, tokenize=True, return_dict=False,
                                              real_last_index=real_last_index))


def _reference_spans(turns: list[dict], s: ChatSettings, tokenizer: Any) -> tuple[list[int], list]:
    """input_ids and each turn's token span found the way Axolotl's find_turn does (None where it gives -1)."""
    ids = _apply(turns, s, tokenizer, len(turns) - 1)
    spans: list[tuple[int, int] | None] = []
    either_all = s.train_on_eos == "all" or s.train_on_eot == "all"
    for i, (turn, train) in enumerate(zip(turns, trained_turns(turns, s), strict=True)):
        if not train and not either_all:
            spans.append(None)  # never looked at
            continue
        dummy = _apply([*turns[:i], {"role": turn["role"], "content": "[[dummy_message]]"}], s, tokenizer,
                       len(turns) - 1)
        full = _apply(turns[:i + 1], s, tokenizer, len(turns) - 1)
        n = min(len(dummy), len(full))
        start = next((k for k in range(n) if dummy[k] != full[k]), None)
        end = next((len(full) - k for k in range(n) if dummy[-1 - k] != full[-1 - k]), None)
        spans.append((start, end) if start is not None and end is not None and end > start else None)
    return ids, spans


def reference_tokenize(rows: Rows, ds: Any, cfg: Any, tokenizer: Any, index: int = 0) -> Tokenized:
    """The straightforward per-turn-render tokenizer (Axolotl's method): the baseline and the fallback."""
    s = chat_settings(ds, cfg, tokenizer, index)
    out = Tokenized()
    for i, (row, loc) in enumerate(zip(rows.rows, rows.locs, strict=False)):
        conv = conversation(row, loc, s)
        ids, spans = _reference_spans(conv, s, tokenizer)
        out.add(ids, label_turns(ids, spans, conv, s), i)
    return out
