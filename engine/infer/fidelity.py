"""The chat template and stop tokens a run trained with, saved beside every set of weights it writes.

Training renders chat rows with the template that ``engine.data.templates.dataset_template`` picks (a dataset's
own chat_template wins over the top level's); the tokenizer files saved in the adapter folder, each checkpoint
and a merged model carry exactly that template, and generation_config.json lists the template's end-of-turn
tokens as ``eos_token_id``. Whatever renders a prompt later (chat, generate, the samples) reads them from there,
so a model never meets a template at inference that differs from the one it learned.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

GENERATION_CONFIG_FILE = "generation_config.json"


def training_template(cfg: Any, tokenizer: Any) -> str | None:
    """The template the run's chat data is rendered with: the first chat_template dataset's, else the tokenizer's
    (set from the preset's chat_template by ``prepare_tokenizer``); None when there is neither."""
    from engine.data.templates import dataset_template

    for index, ds in enumerate(cfg.datasets or []):
        if ds.type == "chat_template":
            return dataset_template(ds, cfg, tokenizer, index)
    own = getattr(tokenizer, "chat_template", None)
    return own.get("default") if isinstance(own, dict) else own


def stop_token_ids(cfg: Any, tokenizer: Any, template: str | None) -> list[int]:
    """The end-of-turn tokens (``eot_tokens`` the template writes, each a single token) and then EOS."""
    ids: list[int] = []
    for token in cfg.eot_tokens or []:
        if template is not None and token not in template:
            continue  # training ignores it too (engine.data.chat_template)
        encoded = tokenizer.encode(token, add_special_tokens=False)
        if len(encoded) == 1 and encoded[0] not in ids:
            ids.append(encoded[0])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids


def write_generation_config(folder: str | os.PathLike[str], stop_ids: list[int], pad_id: int | None,
                            base: Any = None) -> None:
    """generation_config.json in ``folder``: ``base`` (the model's own, when given) with the template's stop tokens."""
    from transformers import GenerationConfig

    config = GenerationConfig.from_dict(base.to_dict()) if base is not None else GenerationConfig()
    config.eos_token_id = list(stop_ids)
    if pad_id is not None:
        config.pad_token_id = pad_id
    config.save_pretrained(Path(folder))
