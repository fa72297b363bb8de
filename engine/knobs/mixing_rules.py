"""Cross-knob rules of dataset_mixing / datasets[].sampling_weight: a weight that nothing reads, a mix of one source.

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule


@rule
def _mixing(cfg: Config) -> Iterator[Problem]:
    weighted = cfg.dataset_mixing == "weighted"
    if weighted and len(cfg.datasets) == 1:
        yield Problem("dataset_mixing", "dataset_mixing is weighted but there is one training dataset, so there is "
                      "nothing to mix (its rows are used once, as with concatenate): add the other sources, or "
                      "set dataset_mixing: concatenate.", "warning")
    if not weighted:
        for i, ds in enumerate(cfg.datasets):
            if "sampling_weight" in ds.model_fields_set:
                yield Problem(f"datasets.{i}.sampling_weight", "sampling_weight is ignored: dataset_mixing is "
                              "concatenate, which uses every row once. Set dataset_mixing: weighted to draw the "
                              "sources by weight, or remove sampling_weight.", "warning")
    if cfg.dataset_mixing_seed is not None and not weighted:
        yield Problem("dataset_mixing_seed", "dataset_mixing_seed is ignored: only dataset_mixing: weighted draws "
                      "rows at random. Remove it, or set dataset_mixing: weighted.", "warning")
    for i, ds in enumerate(cfg.test_datasets):
        if "sampling_weight" in ds.model_fields_set:
            yield Problem(f"test_datasets.{i}.sampling_weight", "sampling_weight is ignored on test_datasets: "
                          "validation rows are used once each, never mixed by weight. Remove it.", "warning")
