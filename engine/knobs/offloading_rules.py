"""Cross-knob rule of activation offloading: it moves the checkpointed layer inputs, so it needs checkpointing.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule


@rule
def _offloading_needs_checkpointing(cfg: Config) -> Iterator[Problem]:
    if cfg.activation_offloading and not cfg.gradient_checkpointing:
        # As in Axolotl, which refuses the same combination.
        yield Problem("activation_offloading", f"activation_offloading is {cfg.activation_offloading}, but it moves "
                      "the layer inputs that gradient checkpointing keeps, and gradient_checkpointing is off: set "
                      "gradient_checkpointing: true, or remove activation_offloading.")
