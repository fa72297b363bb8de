"""H2O LLM Studio's ``dataset:`` frame settings → one ``datasets`` entry of type prompt_answer.

H2O writes its marker texts with backslash escapes and decodes them (``codecs.decode(text, "unicode_escape")``)
when it renders; the preset holds the decoded text, so it renders the same tokens.
"""

from __future__ import annotations

import codecs
from typing import Any

from .conversion import Conversion

D = "dataset"
COLUMNS = ("prompt_column", "answer_column", "system_column", "parent_id_column", "id_column")
TEXTS = ("text_prompt_start", "text_answer_separator", "text_system_start", "prompt_column_separator")
SWITCHES = ("add_eos_token_to_prompt", "add_eos_token_to_answer", "add_eos_token_to_system", "mask_prompt_labels",
            "only_last_answer", "limit_chained_samples")
LIMITS = ("max_length_prompt", "max_length_answer")  # tokenizer.*, in H2O versions before its max length rework


def _column(value: Any) -> Any:
    """H2O's prompt_column is a list (one column in practice); "None" means no column."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return None if value in ("None", "", None) else value


def _put(conv: Conversion, entry: dict[str, Any], source: str, key: str, value: Any, note: str = "") -> None:
    conv.handled(source)
    if not conv.fits(f"datasets.{key}", value):
        conv.problems.append(f"{conv.source.where(source)}: {source}: {value!r} cannot become datasets[].{key}.")
        return
    entry[key] = value
    conv.report.add(source, "exact", f"datasets[0].{key}", note)


def train_frame(conv: Conversion) -> None:
    """The training frame and how its rows render; leaves the keys alone when there is no frame."""
    if not conv.has(f"{D}.train_dataframe"):
        return
    entry: dict[str, Any] = {"type": "prompt_answer"}
    _put(conv, entry, f"{D}.train_dataframe", "path", conv.get(f"{D}.train_dataframe"),
         "read as type prompt_answer, rendered as H2O renders it (CSV or Parquet)")
    for key in COLUMNS:
        if conv.has(f"{D}.{key}"):
            value = _column(conv.get(f"{D}.{key}"))
            if value is None:
                conv.same(f"{D}.{key}", "no such column")
            else:
                _put(conv, entry, f"{D}.{key}", key, value)
    for key in TEXTS:
        value = conv.get(f"{D}.{key}")
        if isinstance(value, str):
            _put(conv, entry, f"{D}.{key}", key, codecs.decode(value, "unicode_escape"),
                 "backslash escapes decoded, as H2O decodes them")
    for key in SWITCHES:
        if conv.pending(f"{D}.{key}"):
            _put(conv, entry, f"{D}.{key}", key, conv.get(f"{D}.{key}"))
    for key in LIMITS:
        if conv.has(f"tokenizer.{key}"):
            _put(conv, entry, f"tokenizer.{key}", key, conv.get(f"tokenizer.{key}"))
    if not conv.get(f"{D}.personalize", False):
        for key in ("chatbot_author", "chatbot_name"):
            conv.same(f"{D}.{key}", "read only with personalize, which is off")
    conv.preset["datasets"] = [entry]
