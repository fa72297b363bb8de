"""Cross-knob rules of the derived batch (``target_effective_batch_size``): what it replaces, what it needs, and
targets the processes cannot share.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from engine import derive

from .config import Config
from .problems import Problem
from .rule_registry import rule


def _written(cfg: Config, key: str) -> bool:
    return getattr(cfg, key) != Config.model_fields[key].get_default()


@rule
def _target_batch(cfg: Config) -> Iterator[Problem]:
    target = cfg.target_effective_batch_size
    if target is None:
        if cfg.max_micro_batch_size is not None:
            yield Problem("max_micro_batch_size", "max_micro_batch_size is read only with "
                          "target_effective_batch_size, which is empty, so it changes nothing: set "
                          "target_effective_batch_size, or remove max_micro_batch_size and use micro_batch_size.",
                          "warning")
        return
    for key in ("micro_batch_size", "gradient_accumulation_steps"):
        if _written(cfg, key):
            yield Problem(key, f"{key} is {getattr(cfg, key)}, but target_effective_batch_size "
                          f"({target}) derives it from the number of processes: remove {key} (the memory limit "
                          "is max_micro_batch_size), or remove target_effective_batch_size to write the split "
                          "yourself.")
    if cfg.max_micro_batch_size is None:
        yield Problem("max_micro_batch_size", f"target_effective_batch_size is {target}, so the micro batch is "
                      "derived, but max_micro_batch_size is empty: set it to the most samples one GPU holds at "
                      "once (what micro_batch_size would be, e.g. 4).")
        return
    try:
        derive.batch_split(cfg)
    except derive.ImpossibleBatch as err:
        yield Problem("target_effective_batch_size", f"target_effective_batch_size {target}: {err}")
