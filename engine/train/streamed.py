"""Training data of a streamed ``pretraining_dataset``: the blocks engine.data.streaming reads as training goes, the
collator, and what train.log says about them (nothing is counted in advance: max_steps sets the run's length).

The Trainer gets one endless pass (``endless``): when the stream ends before max_steps, it is read again from its
start inside that pass, with the same blocks. transformers resumes a run by re-reading its data and skipping the
batches already trained (``global_step × gradient_accumulation_steps`` batches of the first epoch), so with the
whole run in one pass a resumed run continues at the block it stopped at, also past the stream's end. (Left to
transformers, each pass would be an epoch of unknown length, and a resume past the first pass would start over at
the beginning of a pass.) With several processes accelerate's dispatcher reads the stream on the main process and
gives each process its own share of every batch, so no block is trained twice in a step.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ranks import this_process

if TYPE_CHECKING:
    from engine.knobs.config import Config


def streamed_data(cfg: Config, tokenizer: Any, preset_path: Path) -> tuple[Any, None, Any, dict[str, Any]]:
    """(train blocks, no eval, collator, stats) as run.prepare_data returns them."""
    from engine.data.collate import make_collator
    from engine.data.streaming import streamed_train

    assert cfg.pretraining_dataset and cfg.max_steps  # the rules refuse the preset otherwise
    entry = cfg.pretraining_dataset[0]
    train = endless(streamed_train(cfg, tokenizer, preset_path), entry.path)
    apart = cfg.sample_packing and cfg.pretrain_multipack_attn
    if this_process().machine_main:
        print(f"tunedeck: data: streaming pretraining_dataset {entry.path} (text column '{entry.column}'"
              f"{f', skipping {entry.skip} documents' if entry.skip else ''}) in full blocks of {cfg.sequence_len} "
              f"tokens, documents {'kept apart' if apart else 'in one causal span'} within a block; the length is "
              f"unknown, so max_steps ({cfg.max_steps}) sets the run's length", flush=True)
    if next(iter(train), None) is None:  # trl peeks at the first block too; say why there is none
        from .failures import knob_error

        raise knob_error("pretraining_dataset", f"pretraining_dataset '{entry.path}' holds less than one block of "
                         f"sequence_len ({cfg.sequence_len}) tokens (after skip and empty rows), so there is nothing "
                         "to train on: give more text, or lower sequence_len.")
    stats = {"streamed": True, "sequence_len": cfg.sequence_len, "sample_packing": cfg.sample_packing}
    return train, None, make_collator(cfg, tokenizer), stats


def endless(one_pass: Any, label: str) -> Any:
    """``one_pass`` read again and again as one IterableDataset, saying in train.log where each pass ended; it ends
    only when a whole pass gives no block."""
    import datasets

    def passes() -> Iterator[dict[str, list[int]]]:
        for number in itertools.count(1):
            served = 0
            for block in one_pass:
                served += 1
                yield block
            if not served:
                return
            print(f"tunedeck: data: pass {number} over pretraining_dataset {label} ended after {served} blocks; "
                  f"reading it again from the start (pass {number + 1}) for the steps max_steps still asks for",
                  flush=True)

    return datasets.IterableDataset.from_generator(passes)


def skipping_line(batches: int, blocks_per_batch: int) -> str:
    """What train.log says when a resumed stream skips the blocks trained before the checkpoint."""
    return (f"tunedeck: data: resuming the stream: reading again the {batches * blocks_per_batch} blocks "
            f"({batches} batches) trained before the checkpoint and skipping them, so none is trained twice (they are "
            "read and tokenized again: on a long run this takes a while before the next step)")


def require_all_steps(cfg: Config, step: int) -> None:
    """A stream that gave no more blocks ends the Trainer's loop early without an error (transformers stops at an
    epoch with no batch); say so instead of saving a model trained for fewer steps than max_steps."""
    from .failures import knob_error

    if cfg.max_steps and step < cfg.max_steps:
        raise knob_error("pretraining_dataset", f"training stopped at step {step} of max_steps {cfg.max_steps}: the "
                         "pretraining_dataset stream gave no more blocks: a whole pass over it held less than one "
                         f"block of sequence_len ({cfg.sequence_len}) tokens (after skip and empty rows). Give more "
                         "text or a lower sequence_len.")
