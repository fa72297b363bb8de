"""The list of cross-knob rules. Rule modules (rules.py and the *_rules.py beside it) add to it with ``@rule``;
``engine.knobs.rules.check_rules`` runs them. Its own module so that rule modules never import each other."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .config import Config
from .problems import Problem

Rule = Callable[[Config], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn
