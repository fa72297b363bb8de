"""The rule of new_token_init_from: it can only start tokens this preset adds. Registered into
``rules.check_rules`` on import (rules.py imports it last)."""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule


@rule
def _init_names_added_tokens(cfg: Config) -> Iterator[Problem]:
    if not cfg.new_token_init_from:
        return
    added = {*(cfg.tokens or ()), *(cfg.special_tokens or {}).values()}
    for token in cfg.new_token_init_from:
        if token not in added:
            yield Problem(f"new_token_init_from.{token}", f"new_token_init_from names '{token}', which this preset "
                          "does not add: only tokens in tokens or special_tokens get a new embedding row to start. "
                          f"Add '{token}' to tokens, or remove it here.", "error")
