"""new_token_init_from as embedding rows: which existing rows each added token starts from, and the small file that
carries the mapping beside saved weights, so ``tunedeck merge`` and ``chat`` rebuild the same rows on a fresh base
(the LM head's rows of new tokens are not in a LoRA adapter)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .failures import knob_error

INIT_FILE = "new_token_init.json"


def start_rows(tokenizer: Any, init_from: dict[str, str] | None, old_rows: int) -> dict[int, list[int]]:
    """New token id → the ids of the existing rows whose mean it starts at (one id for a single token).

    Only rows past ``old_rows`` (the base's vocabulary) are started; a token the base already had keeps its row.
    """
    starts: dict[int, list[int]] = {}
    vocab = tokenizer.get_vocab()
    for token, text in (init_from or {}).items():
        new_id = vocab.get(token)
        if new_id is None or new_id < old_rows:
            continue
        ids = tokenizer.encode(text, add_special_tokens=False)
        if not ids or any(i >= old_rows for i in ids):
            raise knob_error("new_token_init_from", f"new_token_init_from: '{token}' starts from {text!r}, which "
                             f"the tokenizer turns into {ids or 'no tokens'}: the text must be made of tokens the "
                             "base model already has (not tokens this preset adds). Use other text.")
        starts[new_id] = ids
    return starts


def write_init(folder: str | os.PathLike[str], init_from: dict[str, str] | None) -> None:
    if init_from:
        (Path(folder) / INIT_FILE).write_text(json.dumps(init_from, ensure_ascii=False, indent=1), encoding="utf-8")


def read_init(folder: str | os.PathLike[str]) -> dict[str, str] | None:
    path = Path(folder) / INIT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
