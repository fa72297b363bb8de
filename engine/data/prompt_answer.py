"""``type: prompt_answer``: H2O LLM Studio's prompt / answer / system columns, rendered to the tokens H2O builds.

H2O's rules (llm_studio/src/datasets/text_causal_language_modeling_ds.py and conversation_chain_handler.py):

* a turn is ``text_prompt_start + prompt [+ EOS] + text_answer_separator`` then ``answer [+ EOS]``; the first
  turn of a conversation is preceded by ``text_system_start + system [+ EOS]`` when its row has a system text;
  each piece is tokenized on its own without special tokens (no BOS), the EOS written as the tokenizer's EOS text;
* with ``parent_id_column`` every row (or, with limit_chained_samples, every row no other row continues) is a
  sample holding its conversation from the root; a parent id that names no row starts a conversation;
* labels: every token, or with mask_prompt_labels the answers only (with only_last_answer, the last one only);
* lengths: the system text keeps its start and a prompt its end (max_length_prompt), an answer its start
  (max_length_answer, keeping its EOS, as H2O did while it had the limit); then the whole sample keeps its
  last ``sequence_len`` tokens (those rows are counted as truncated).

Where tunedeck differs on purpose: an empty cell is empty text (pandas, which H2O reads with, makes it "nan").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import DataError, fields_of, row_error
from .sources import Loc, Rows
from .tokenized import IGNORE, Tokenized, batched


@dataclass(frozen=True)
class Turn:
    system: str  # "" when the row has none
    prompt: str
    answer: str


def _cell(row: dict, loc: Loc, column: str, *, required: bool) -> str:
    if column not in row:
        if not required:
            return ""
        raise row_error(loc, f"missing column '{column}' for a prompt_answer dataset; the row has "
                        f"{fields_of(row)}. Set prompt_column / answer_column to the columns that hold them.")
    value = row[column]
    if value is None:
        if required:
            raise row_error(loc, f"column '{column}' is empty in this row; every row needs a prompt and an "
                            "answer (H2O refuses missing answers too). Fill it in or delete the row.")
        return ""
    return value if isinstance(value, str) else str(value)


def read_turns(rows: Rows, ds: Any) -> list[Turn]:
    """One (system, prompt, answer) per row, the prompt columns joined as H2O joins them."""
    columns = [ds.prompt_column] if isinstance(ds.prompt_column, str) else list(ds.prompt_column)
    turns = []
    for row, loc in zip(rows.rows, rows.locs, strict=False):
        prompt = ds.prompt_column_separator.join(_cell(row, loc, c, required=True) for c in columns)
        answer = _cell(row, loc, ds.answer_column, required=True)
        system = _cell(row, loc, ds.system_column, required=False) if ds.system_column else ""
        turns.append(Turn(system, prompt, answer))
    return turns


def _id(value: Any) -> Any:
    """Ids compare as text: CSV gives "3", Parquet 3 or 3.0 (pandas' float column of ids with gaps)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None or value == "" else str(value)


def conversation_chains(rows: Rows, ds: Any) -> list[list[int]]:
    """Row indices of each sample's conversation, root first (H2O's ConversationChainHandler)."""
    if not ds.parent_id_column:
        return [[i] for i in range(len(rows.rows))]
    ids = [_id(_cell(row, loc, ds.id_column, required=True)) for row, loc in zip(rows.rows, rows.locs, strict=False)]
    index_of: dict[Any, int] = {}
    for i, (value, loc) in enumerate(zip(ids, rows.locs, strict=False)):
        if value in index_of:
            raise row_error(loc, f"id '{value}' (column '{ds.id_column}') is used by another row too; ids must be "
                            "unique to chain conversations.", key="id_column")
        index_of[value] = i
    parent: dict[int, int] = {}
    for i, row in enumerate(rows.rows):
        pid = _id(row.get(ds.parent_id_column))
        if pid in index_of:  # an unknown parent starts a conversation, as in H2O
            parent[i] = index_of[pid]
    ends = list(range(len(ids)))
    if ds.limit_chained_samples:
        continued = set(parent.values())
        ends = [i for i in ends if i not in continued]
    chains = []
    for end in ends:
        chain = [end]
        while chain[0] in parent:
            chain.insert(0, parent[chain[0]])
            if len(chain) > len(ids):
                raise row_error(rows.locs[end], f"the parent ids ('{ds.parent_id_column}') of this row form a "
                                "loop, so its conversation has no start. Give the first turn an empty parent id.",
                                key="parent_id_column")
        chains.append(chain)
    return chains


def _texts(turn: Turn, ds: Any, eos: str) -> tuple[str, str, str]:
    """(system, prompt, answer) text of one turn, markers and EOS written in."""
    system = ""
    if turn.system:
        system = ds.text_system_start + turn.system + (eos if ds.add_eos_token_to_system else "")
    prompt = (ds.text_prompt_start + turn.prompt + (eos if ds.add_eos_token_to_prompt else "")
              + ds.text_answer_separator)
    answer = turn.answer + (eos if ds.add_eos_token_to_answer else "")
    return system, prompt, answer


def _encode_all(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    out: list[list[int]] = []
    for start, stop in batched(len(texts), 4000):
        out += tokenizer(texts[start:stop], add_special_tokens=False)["input_ids"]
    return out


def tokenize_prompt_answer(rows: Rows, ds: Any, cfg: Any, tokenizer: Any) -> Tokenized:
    eos = tokenizer.eos_token
    if eos is None and (ds.add_eos_token_to_prompt or ds.add_eos_token_to_answer or ds.add_eos_token_to_system):
        raise DataError("the tokenizer has no EOS token, which add_eos_token_to_prompt / _answer / _system "
                        "write: turn those off, or use a tokenizer with an EOS token.", key="add_eos_token_to_answer")
    turns = read_turns(rows, ds)
    # Each row is encoded once, system text included; only the first turn of a chain uses its system.
    texts = [text for turn in turns for text in _texts(turn, ds, eos or "")]
    encoded = _encode_all(tokenizer, texts)
    pieces = [tuple(encoded[3 * i: 3 * i + 3]) for i in range(len(turns))]
    prompt_limit = ds.max_length_prompt or cfg.sequence_len
    answer_limit = ds.max_length_answer or cfg.sequence_len
    eos_id = tokenizer.eos_token_id
    out = Tokenized()
    for chain in conversation_chains(rows, ds):
        ids: list[int] = []
        labels: list[int] = []
        for position, row in enumerate(chain):
            system, prompt, answer = pieces[row]
            context = (system[:prompt_limit] if position == 0 else []) + prompt[-prompt_limit:]
            if len(answer) > answer_limit:
                keep_eos = ds.add_eos_token_to_answer and eos_id is not None
                answer = [*answer[:answer_limit - 1], eos_id] if keep_eos else answer[:answer_limit]
            masked_prompt = ds.mask_prompt_labels and not cfg.train_on_inputs
            masked_answer = masked_prompt and ds.only_last_answer and position < len(chain) - 1
            ids += context + answer
            labels += ([IGNORE] * len(context) if masked_prompt else context)
            labels += [IGNORE] * len(answer) if masked_answer else answer
        if len(ids) > cfg.sequence_len:  # H2O keeps the end: the latest turns and the answer to learn
            ids, labels = ids[-cfg.sequence_len:], labels[-cfg.sequence_len:]
            out.truncated += 1
        out.add(ids, labels, chain[-1])
    return out
