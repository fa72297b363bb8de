"""Derived numbers: the batch split, effective batch, learning rate, optimizer steps, warmup, tokens per step.

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


class ImpossibleBatch(ValueError):
    """A target effective batch that no micro batch × accumulation × processes split reaches exactly."""


@dataclass(frozen=True)
class BatchSplit:
    """How each optimizer step's samples are split: per process, per forward pass, and over accumulation."""

    micro_batch_size: int
    gradient_accumulation_steps: int
    processes: int
    target: int | None = None  # target_effective_batch_size it was derived from; None when written by hand

    @property
    def effective_batch(self) -> int:
        return self.micro_batch_size * self.gradient_accumulation_steps * self.processes


def split_target_batch(target: int, max_micro: int, processes: int) -> BatchSplit:
    """The split of exactly ``target`` samples per step over ``processes`` with the fewest accumulation steps
    whose micro batch is at most ``max_micro`` (SiloGen finetuning's rule, ``resolve_batchsize_and_accumulation``).

    Each process takes ``target / processes`` samples per step, cut into equal micro batches: the micro batch is
    the largest divisor of that share not above ``max_micro``. Raises :class:`ImpossibleBatch` when the processes
    cannot share the target evenly.
    """
    if target < 1 or max_micro < 1 or processes < 1:
        raise ValueError("target, maximum micro batch and processes must be >= 1")
    if target % processes:
        lower, upper = target // processes * processes, (target // processes + 1) * processes
        nearest = f"{lower} or {upper}" if lower else str(upper)
        raise ImpossibleBatch(
            f"{target} samples per optimizer step cannot be shared evenly by {processes} processes (gpus_per_node × "
            f"num_nodes): every process must take the same number of samples each step. Use a multiple of "
            f"{processes} ({nearest}), or change the number of processes.")
    share = target // processes
    micro = max(d for d in _divisors(share) if d <= max_micro)  # 1 always divides, so one exists
    return BatchSplit(micro, share // micro, processes, target)


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return small + [n // d for d in small]


def batch_split(cfg: Any) -> BatchSplit:
    """The split the run uses: derived from ``target_effective_batch_size`` when set, else as written."""
    target = getattr(cfg, "target_effective_batch_size", None)
    if target:
        max_micro = getattr(cfg, "max_micro_batch_size", None) or cfg.micro_batch_size
        return split_target_batch(int(target), int(max_micro), num_processes(cfg))
    return BatchSplit(int(cfg.micro_batch_size), int(cfg.gradient_accumulation_steps), num_processes(cfg))


def effective_batch_size(cfg: Any) -> int:
    """Samples (or packed sequences) behind each optimizer step, summed over processes."""
    return batch_split(cfg).effective_batch


LR_SCALINGS = ("none", "sqrt", "linear")


def learning_rate(cfg: Any) -> float:
    """The peak learning rate the optimizer gets: ``learning_rate × lr_multiplier``, times √(effective batch)
    (sqrt) or the effective batch (linear) under ``lr_batch_size_scaling`` (SiloGen's overrides)."""
    rate = float(cfg.learning_rate) * float(getattr(cfg, "lr_multiplier", 1.0) or 1.0)
    scaling = getattr(cfg, "lr_batch_size_scaling", "none") or "none"
    if scaling == "sqrt":
        return rate * math.sqrt(effective_batch_size(cfg))
    if scaling == "linear":
        return rate * effective_batch_size(cfg)
    return rate


def batch_derivation(cfg: Any) -> str:
    """The effective batch as its product, and where the split came from (for --dry-run and the live panel)."""
    split = batch_split(cfg)
    product = (f"{split.micro_batch_size} × {split.gradient_accumulation_steps} × {split.processes} = "
               f"{split.effective_batch}")
    if split.target is None:
        return f"{product} (micro_batch_size × gradient_accumulation_steps × processes)"
    return (f"{product} (micro batch × accumulation × processes, derived from target_effective_batch_size "
            f"{split.target} with max_micro_batch_size {getattr(cfg, 'max_micro_batch_size', None) or '?'})")


def rate_derivation(cfg: Any) -> str | None:
    """How the optimizer's rate follows from learning_rate, or None when it is learning_rate as written."""
    multiplier = float(getattr(cfg, "lr_multiplier", 1.0) or 1.0)
    scaling = getattr(cfg, "lr_batch_size_scaling", "none") or "none"
    if multiplier == 1.0 and scaling == "none":
        return None
    parts = [f"{float(cfg.learning_rate):g}"]
    if multiplier != 1.0:
        parts.append(f"lr_multiplier {multiplier:g}")
    if scaling != "none":
        batch = effective_batch_size(cfg)
        parts.append(f"√{batch}" if scaling == "sqrt" else f"{batch} (linear in the effective batch)")
    return f"{' × '.join(parts)} = {learning_rate(cfg):.4g}"


def resolved(cfg: Any, processes: int | None = None) -> Any:
    """``cfg`` with every derived batch and rate knob written out for ``processes`` (default: the preset's):
    micro_batch_size and gradient_accumulation_steps from the target, learning_rate already scaled, and the
    target and scaling knobs cleared, so resolving twice changes nothing. What the trainer is given."""
    if processes is not None:
        cfg = cfg.model_copy(update={"gpus_per_node": processes, "num_nodes": 1})
    split = batch_split(cfg)
    return cfg.model_copy(update={
        "micro_batch_size": split.micro_batch_size, "gradient_accumulation_steps": split.gradient_accumulation_steps,
        "target_effective_batch_size": None, "max_micro_batch_size": None,
        "learning_rate": learning_rate(cfg), "lr_multiplier": 1.0, "lr_batch_size_scaling": "none",
    })


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
    split = batch_split(cfg)
    return math.ceil(samples / (split.micro_batch_size * split.processes))


def steps_per_epoch(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> int | None:
    """Optimizer steps per epoch over ``num_rows`` training rows (after the validation split); None if unknown."""
    samples = training_samples(cfg, num_rows, num_tokens)
    if samples is None:
        return None
    batches = batches_per_epoch(cfg, samples)
    return max(math.ceil(batches / batch_split(cfg).gradient_accumulation_steps), 1)


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


def sequences_per_sample(cfg: Any) -> int:
    """Sequences the model runs per sample: 1, or 2 under ``rl`` and ``reward_model`` (a pair's chosen and rejected
    answers, each after the prompt; KTO's completion and the mismatched completion of its KL estimate)."""
    return 2 if getattr(cfg, "rl", None) or getattr(cfg, "reward_model", False) else 1


def tokens_per_step(cfg: Any) -> int:
    """Upper bound of tokens per optimizer step: every sequence filled (or padded) to sequence_len."""
    return effective_batch_size(cfg) * sequences_per_sample(cfg) * int(cfg.sequence_len)


def average_tokens_per_step(cfg: Any, token_lengths: Sequence[int]) -> float | None:
    """Real (non-padding) tokens per optimizer step averaged over the run's first epoch, from per-row lengths."""
    per_epoch = steps_per_epoch(cfg, num_tokens=token_lengths)
    if not per_epoch:
        return None
    cap = int(cfg.sequence_len)
    real = sum(min(int(n), cap) for n in token_lengths if n > 0)
    return real / per_epoch


def every(steps: float | None, per_epoch_count: int | None, steps_per_epoch: int) -> tuple[str | None, float | None]:
    """(strategy, steps) of an "every N steps" knob (eval_steps, save_steps; a value < 1 is a fraction of the run)
    or its "N per epoch" twin (evals_per_epoch, saves_per_epoch): N per epoch is every steps_per_epoch // N."""
    if steps:
        return "steps", steps
    if per_epoch_count:
        return "steps", max(1, steps_per_epoch // per_epoch_count)
    return None, None


def eval_plan(cfg: Any, steps_per_epoch: int, has_eval: bool) -> tuple[str, float | None]:
    """(eval_strategy, eval_steps or None) the trainer gets: no without validation rows, with eval_strategy no or
    evals_per_epoch 0 (Axolotl's "no evaluation"); else eval_steps / evals_per_epoch, else once per epoch."""
    if not has_eval or getattr(cfg, "eval_strategy", None) == "no" or getattr(cfg, "evals_per_epoch", None) == 0:
        return "no", None
    strategy, steps = every(getattr(cfg, "eval_steps", None), getattr(cfg, "evals_per_epoch", None), steps_per_epoch)
    strategy = getattr(cfg, "eval_strategy", None) or strategy or "epoch"
    if strategy != "steps":
        return strategy, None
    return strategy, steps or max(1, steps_per_epoch)


def eval_every(cfg: Any, steps_per_epoch: int | None, total: int | None, eval_rows: int) -> str:
    """When evaluations run, in words: "every 5 steps", "at each epoch's end", or "never" (and why)."""
    if steps_per_epoch is None:
        return "schedule unknown until the rows are counted"
    strategy, steps = eval_plan(cfg, steps_per_epoch, eval_rows > 0)
    if strategy == "no":
        return "never (evaluation is off)" if eval_rows else "never (no validation rows)"
    if strategy == "epoch" or steps is None:
        return "at each epoch's end"
    if steps < 1:  # transformers: a fraction of the run's steps, rounded up
        return "every ? steps" if total is None else f"every {math.ceil(total * steps)} steps"
    return f"every {int(steps)} steps"


def eval_batches(cfg: Any, eval_samples: int) -> int:
    """Batches each process runs per evaluation: eval_batch_size (else micro_batch_size) rows a batch, shared by
    the processes as the training batches are (drop_last off, even batches)."""
    size = getattr(cfg, "eval_batch_size", None) or batch_split(cfg).micro_batch_size
    return math.ceil(eval_samples / (int(size) * num_processes(cfg)))


def evaluation_words(cfg: Any, rows: int, samples: int, source: str, steps_per_epoch: int | None,
                     total: int | None) -> str:
    """What each evaluation reads and when, for the live panel and train --dry-run: "3 rows (test_datasets): 2
    batches per process each time, every 2 steps". ``samples``: the rows, or what they pack into."""
    packed = f", {samples:,} packed sequences" if samples != rows else ""
    batches = eval_batches(cfg, samples)
    return (f"{rows:,} row{'s' if rows != 1 else ''} ({source}{packed}): {batches:,} "
            f"batch{'es' if batches != 1 else ''} per process each time, "
            f"{eval_every(cfg, steps_per_epoch, total, rows)}")


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
    batch: BatchSplit
    learning_rate: float | None  # the scaled rate; None when learning_rate is not given
    rate_derivation: str | None  # how it follows from learning_rate; None when it is learning_rate as written
    tokens_per_step: int
    training_samples: int | None
    steps_per_epoch: int | None
    total_steps: int | None
    warmup_steps: int | None


def derive_all(cfg: Any, num_rows: int | None = None, num_tokens: Tokens = None) -> Derived:
    total = total_steps(cfg, num_rows, num_tokens)
    has_rate = getattr(cfg, "learning_rate", None) is not None
    return Derived(
        processes=num_processes(cfg),
        effective_batch=effective_batch_size(cfg),
        batch=batch_split(cfg),
        learning_rate=learning_rate(cfg) if has_rate else None,
        rate_derivation=rate_derivation(cfg) if has_rate else None,
        tokens_per_step=tokens_per_step(cfg),
        training_samples=training_samples(cfg, num_rows, num_tokens),
        steps_per_epoch=steps_per_epoch(cfg, num_rows, num_tokens),
        total_steps=total,
        warmup_steps=warmup_steps(cfg, total),
    )
