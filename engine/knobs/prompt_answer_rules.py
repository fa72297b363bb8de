"""Cross-knob rules of ``type: prompt_answer`` (H2O LLM Studio's columns): its keys on another type change nothing.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .prompt_answer import PromptAnswerKnobs
from .rule_registry import rule


@rule
def _prompt_answer_keys_elsewhere(cfg: Config) -> Iterator[Problem]:
    for i, ds in enumerate(cfg.datasets):
        if ds.type == "prompt_answer":
            continue
        for key in sorted(set(PromptAnswerKnobs.model_fields) & ds.model_fields_set):
            yield Problem(f"datasets.{i}.{key}", f"{key} is ignored for type {ds.type}; it only applies to "
                          "prompt_answer datasets (H2O LLM Studio's prompt and answer columns): remove it, or set "
                          "type: prompt_answer.", "warning")
