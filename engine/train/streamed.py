"""Training data of a streamed ``pretraining_dataset``: the blocks engine.data.streaming reads as training goes, the
collator, and what train.log says about them (nothing is counted in advance: max_steps sets the run's length)."""

from __future__ import annotations

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
    train = streamed_train(cfg, tokenizer, preset_path)
    entry = cfg.pretraining_dataset[0]
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


def require_all_steps(cfg: Config, step: int) -> None:
    """A stream that ran dry ends the Trainer's loop early without an error (transformers stops at an epoch with no
    batch); say so instead of saving a model trained for fewer steps than max_steps."""
    from .failures import knob_error

    if cfg.max_steps and step < cfg.max_steps:
        raise knob_error("pretraining_dataset", f"training stopped at step {step} of max_steps {cfg.max_steps}: the "
                         "pretraining_dataset stream gave no more blocks. Either it holds less than one block of "
                         f"sequence_len ({cfg.sequence_len}) tokens, or a resumed run skipped past its end (resuming "
                         "re-reads the stream and skips the blocks already trained on, which cannot wrap around to "
                         "a second pass). Give more text or a lower sequence_len, or start over with --fresh.")
