"""Cross-knob rules of a streamed ``pretraining_dataset``: what a stream of unknown length needs (max_steps), and
what it cannot go with (Axolotl's own checks, plus what tunedeck does not read with it yet).

Registered into ``rules.check_rules`` on import (rules.py imports this module at its end).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .problems import Problem
from .rule_registry import rule


@rule
def _pretraining(cfg: Config) -> Iterator[Problem]:
    entries = cfg.pretraining_dataset
    if not entries:
        return
    if not cfg.max_steps:
        yield Problem("max_steps", "max_steps is not set, and pretraining_dataset is streamed: its length is unknown "
                      "until it has been read, so the run cannot be planned in epochs (Axolotl refuses the same). "
                      "Set max_steps to the number of optimizer steps to train, e.g. max_steps: 1000.")
    if len(entries) > 1:
        yield Problem("pretraining_dataset", f"pretraining_dataset lists {len(entries)} sources; one is streamed "
                      "(Axolotl reads only the first and ignores the rest): keep one entry, or put the files in "
                      "one folder and give that folder as its path.")
    if cfg.datasets:
        yield Problem("datasets", "datasets is set beside pretraining_dataset, which streams the training data: "
                      "datasets would not be read (Axolotl ignores it then). Remove datasets, or remove "
                      "pretraining_dataset to train on datasets.")
    if cfg.val_set_size:
        yield Problem("val_set_size", f"val_set_size is {cfg.val_set_size:g}, but a streamed pretraining_dataset "
                      "cannot hold rows out (Axolotl refuses it too): set val_set_size: 0.")
    if cfg.test_datasets:
        yield Problem("test_datasets", "test_datasets is not read with pretraining_dataset by tunedeck yet (Axolotl "
                      "evaluates on it): remove test_datasets, or train on datasets instead of a stream.")
    if cfg.rl:
        yield Problem("pretraining_dataset", f"pretraining_dataset streams plain text for pretraining, which rl: "
                      f"{cfg.rl} cannot train on: remove pretraining_dataset and give preference data under datasets.")
