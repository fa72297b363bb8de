"""Derived numbers: effective batch, optimizer steps, warmup, tokens per step.

Pure functions of a :class:`Config` (and, where given, the data's size) that equal what the trainer will do.
They mirror transformers 5.23 + accelerate 1.15, read from their source:

* The train dataloader is built with ``drop_last=False`` (``dataloader_drop_last`` defaults to False) and is
  prepared by accelerate with ``even_batches=True``: the ``ceil(rows / micro_batch_size)`` batches are dealt
  round-robin to the processes and the short ones are padded from the start of the data, so every process sees
  ``ceil(batches / processes)`` batches, i.e. ``ceil(rows / (micro_batch_size × processes))``
  (accelerate ``BatchSamplerShard.__len__``).
* ``Trainer.set_initial_training_values``: ``num_update_steps_per_epoch = max(len_dataloader // grad_accum +
  int(len_dataloader % grad_accum > 0), 1)`` — a trailing partial accumulation window still makes an optimizer
  step (ceil, never floor) and an epoch has at least one step. With epochs, ``max_steps = ceil(num_train_epochs ×
  num_update_steps_per_epoch)``; an explicit ``max_steps`` wins.
* ``TrainingArguments.get_warmup_steps``: ``int(w)`` when ``w >= 1`` else ``ceil(total × w)``. transformers 5
  has no ``warmup_ratio``; the engine passes our ``warmup_ratio`` as ``warmup_steps=<ratio>``.

Nothing here imports torch or the training stack: the TUI calls these on every keystroke.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# tunedeck's packer (engine.data.packing.pack_bins) packs all rows at once. (trl's own pack_dataset would pack
# each datasets.map chunk of 1000 rows separately: pass chunk=1000 to estimate that.)
PACKING_CHUNK_ROWS: int | None = None

Tokens = int | Sequence[int] | None


def num_processes(cfg: Any) -> int:
    """Training processes in the run: one per GPU (or CPU worker) per machine."""
    return int(cfg.gpus_per_node) * int(cfg.num_nodes)


def effective_batch_size(cfg: Any) -> int:
    """Samples (or packed sequences) behind each optimizer step, summed over processes."""
    return int(cfg.micro_batch_size) * int(cfg.gradient_accumulation_steps) * num_processes(cfg)


def split_rows(total_rows: int, val_set_size: float) -> tuple[int, int]:
    """(train, validation) rows after ``val_set_size`` (a fraction < 1 or a row count), as ``datasets``'
    ``train_test_split`` cuts them: the test side is ``ceil(fraction × rows)`` or the count itself."""
    if not val_set_size:
        return total_rows, 0
    n_val = math.ceil(val_set_size * total_rows) if val_set_size < 1 else int(val_set_size)
    n_val = min(n_val, total_rows)
    return total_rows - n_val, n_val


def packed_sequences(token_lengths: Sequence[int], sequence_len: int, chunk: int | None = PACKING_CHUNK_ROWS) -> int:
    """How many sequence_len samples packing makes from rows of these token lengths.

    Best-fit decreasing, as engine.data.packing does it (and trl's ``pack_dataset(strategy="bfd")``): empty rows
    are dropped, longer ones count as ``sequence_len`` (the data pipeline drops or truncates them first), and each
    row goes into the fullest bin that still has room for it. The count does not depend on how ties are broken.
    ``chunk`` packs each run of that many rows on its own (None: all rows together).
    """
    if sequence_len < 1:
        raise ValueError("sequence_len must be >= 1")
    step = chunk or max(len(token_lengths), 1)
    total = 0
    for start in range(0, len(token_lengths), step):
        total += _bfd_bins(token_lengths[start:start + step], sequence_len)
    return total


def _bfd_bins(lengths: Sequence[int], cap: int) -> int:
    spaces: list[int] = []  # sorted remaining space of open bins
    count = 0
    for length in sorted((min(int(n), cap) for n in lengths if n > 0), reverse=True):
        i = bisect.bisect_left(spaces, length)  # the tightest bin that still fits
        if i < len(spaces):
            space = spaces.pop(i) - length
        else:
            count += 1
            space = cap - length
        if space > 0:
            bisect.insort(spaces, space)
    return count


def training_samples(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> int | None:
    """Samples the dataloader serves per epoch: rows, or packed sequences when ``sample_packing`` is on.

    With packing, ``num_tokens`` given as per-row lengths is packed exactly; a total token count only gives the
    lower bound ``ceil(tokens / sequence_len)``. None when the data size is unknown.
    """
    if getattr(cfg, "sample_packing", False) and num_tokens is not None:
        if isinstance(num_tokens, int):
            return math.ceil(num_tokens / cfg.sequence_len) if num_tokens > 0 else 0
        return packed_sequences(num_tokens, cfg.sequence_len)
    if num_rows is None and num_tokens is not None and not isinstance(num_tokens, int):
        num_rows = len(num_tokens)
    return num_rows


def batches_per_epoch(cfg: Any, samples: int) -> int:
    """Micro batches each process runs per epoch (accelerate's even_batches sharding, drop_last off)."""
    return math.ceil(samples / (int(cfg.micro_batch_size) * num_processes(cfg)))


def steps_per_epoch(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> int | None:
    """Optimizer steps per epoch over ``num_rows`` training rows (after the validation split); None if unknown."""
    samples = training_samples(cfg, num_rows, num_tokens)
    if samples is None:
        return None
    batches = batches_per_epoch(cfg, samples)
    return max(math.ceil(batches / int(cfg.gradient_accumulation_steps)), 1)


def total_steps(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> int | None:
    """Optimizer steps of the whole run: ``max_steps`` when set, else ``ceil(num_epochs × steps per epoch)``."""
    if cfg.max_steps:
        return int(cfg.max_steps)
    per_epoch = steps_per_epoch(cfg, num_rows, num_tokens)
    if per_epoch is None:
        return None
    return math.ceil(float(cfg.num_epochs) * per_epoch)


def warmup_steps(cfg: Any, total: int | None) -> int | None:
    """Warmup steps as transformers computes them: warmup_steps wins, else warmup_ratio; a value below 1 (either
    knob) is a fraction of the run, ``ceil(total × w)``."""
    w = cfg.warmup_steps if cfg.warmup_steps is not None else cfg.warmup_ratio
    if not w:
        return 0
    if float(w) >= 1:
        return int(w)
    return None if total is None else math.ceil(total * float(w))


def tokens_per_step(cfg: Any) -> int:
    """Upper bound of tokens per optimizer step: every sample filled (or padded) to sequence_len."""
    return effective_batch_size(cfg) * int(cfg.sequence_len)


def average_tokens_per_step(cfg: Any, token_lengths: Sequence[int]) -> float | None:
    """Real (non-padding) tokens per optimizer step averaged over the run's first epoch, from per-row lengths."""
    per_epoch = steps_per_epoch(cfg, num_tokens=token_lengths)
    if not per_epoch:
        return None
    cap = int(cfg.sequence_len)
    real = sum(min(int(n), cap) for n in token_lengths if n > 0)
    return real / per_epoch


@dataclass(frozen=True)
class AccumPlan:
    gradient_accumulation_steps: int
    effective_batch: int  # what the plan achieves: micro × accumulation × processes


def grad_accum_for(target_batch: int, micro: int, processes: int) -> AccumPlan:
    """The smallest gradient_accumulation_steps whose effective batch reaches at least ``target_batch``."""
    if micro < 1 or processes < 1:
        raise ValueError("micro batch size and processes must be >= 1")
    accum = max(1, math.ceil(target_batch / (micro * processes)))
    return AccumPlan(accum, micro * processes * accum)


@dataclass(frozen=True)
class Derived:
    """Everything the editor shows at once."""

    processes: int
    effective_batch: int
    tokens_per_step: int
    training_samples: int | None
    steps_per_epoch: int | None
    total_steps: int | None
    warmup_steps: int | None


def derive_all(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> Derived:
    total = total_steps(cfg, num_rows, num_tokens)
    return Derived(
        processes=num_processes(cfg),
        effective_batch=effective_batch_size(cfg),
        tokens_per_step=tokens_per_step(cfg),
        training_samples=training_samples(cfg, num_rows, num_tokens),
        steps_per_epoch=steps_per_epoch(cfg, num_rows, num_tokens),
        total_steps=total,
        warmup_steps=warmup_steps(cfg, total),
    )
