"""tunedeck's own knobs (SiloGen finetuning has them; Axolotl does not) that derive numbers from the effective batch:
a target effective batch split over however many processes run it, and a learning rate scaled by that batch.

engine.derive does the arithmetic (``batch_split``, ``learning_rate``); rules in ``batch_rules`` catch
combinations that cannot work.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

_SPLIT = ("each process takes target ÷ processes samples per optimizer step, in micro batches of the largest "
          "size up to max_micro_batch_size that divides that share evenly; gradient_accumulation_steps is the "
          "number of micro batches")


class BatchTargetKnobs(BaseModel, defer_build=True):
    target_effective_batch_size: int | None = knob(
        None, section=Section.SEQUENCE, ge=1, axolotl=False,
        summary="The effective batch every optimizer step has, on any number of GPUs "
        "(micro batch and accumulation are derived).",
        what="Samples behind each optimizer step, summed over every process. When set, micro_batch_size and "
        "gradient_accumulation_steps are not written by hand but derived at launch from the number of processes "
        f"(gpus_per_node × num_nodes): {_SPLIT}. So the same preset trains with the same effective batch on 1 "
        "GPU or on 8; only the speed changes. The live panel and `tunedeck train --dry-run` show the split. "
        "(SiloGen finetuning's total_train_batch_size.)",
        cost="The same trade-offs as the effective batch itself: larger means fewer, smoother optimizer steps per "
        "epoch, which can blur facts together on a small dataset. It must be a multiple of the number of "
        "processes (each takes an equal share); a share with no divisor near max_micro_batch_size (a prime, "
        "say) ends in small micro batches and slower training.",
        typical="Empty (write micro_batch_size and gradient_accumulation_steps yourself); 16–128 for chat "
        "fine-tunes, a power of two so any GPU count divides it.",
        interacts=("max_micro_batch_size", "micro_batch_size", "gradient_accumulation_steps", "gpus_per_node",
                   "num_nodes", "lr_batch_size_scaling"),
    )
    max_micro_batch_size: int | None = knob(
        None, section=Section.SEQUENCE, ge=1, axolotl=False,
        summary="The most samples one GPU holds at once when target_effective_batch_size "
        "derives the micro batch.",
        what="The memory limit of the derived split: the micro batch is the largest size up to this that "
        "divides each process's share of target_effective_batch_size evenly, and the rest is made up with "
        "gradient accumulation. Read only with target_effective_batch_size. (SiloGen finetuning's "
        "max_per_device_train_batch_size.)",
        cost="Higher uses more activation memory per GPU and fewer accumulation steps (faster); too high runs "
        "out of memory on the first step. The training result is the same either way.",
        typical="What micro_batch_size would be on its own: raise it until memory is nearly full (1–8 for a 7B "
        "model on one GPU).",
        interacts=("target_effective_batch_size", "micro_batch_size", "sequence_len", "gradient_checkpointing"),
    )
    lr_batch_size_scaling: Literal["none", "sqrt", "linear"] = knob(
        "none", section=Section.SCHEDULE, axolotl=False,
        summary="Multiply learning_rate by √(effective batch) (sqrt) or by the effective batch "
        "(linear).",
        what="Reads learning_rate as a rate per sample and scales it by the effective batch, so a preset keeps "
        "a sensible rate when its batch changes: sqrt multiplies it by the square root of the effective batch "
        "(the classic rule for adaptive optimizers such as Adam), linear by the effective batch itself (the rule "
        "for SGD-like updates). none uses learning_rate as written. Applied after lr_multiplier; the live panel "
        "shows the resulting rate. (SiloGen finetuning's overrides.lr_batch_size_scaling.)",
        cost="With scaling, learning_rate must be written per sample, i.e. far smaller than usual (2e-4 with "
        "linear and an effective batch of 64 trains at 0.0128 and will diverge). Changing the batch changes the "
        "rate too, which is the point, but can surprise when copying a preset.",
        typical="none. sqrt or linear only with a rate tuned for them, e.g. from a SiloGen config.",
        interacts=("learning_rate", "lr_multiplier", "target_effective_batch_size", "micro_batch_size",
                   "gradient_accumulation_steps"),
    )
    lr_multiplier: float = knob(
        1.0, section=Section.SCHEDULE, gt=0, axolotl=False,
        summary="Multiply learning_rate by this (before any lr_batch_size_scaling).",
        what="A factor on learning_rate, so a sweep or a shared preset can scale the rate without rewriting it. "
        "The optimizer's peak rate is learning_rate × lr_multiplier (× the lr_batch_size_scaling factor); the "
        "live panel shows the result. (SiloGen finetuning's overrides.lr_multiplier.)",
        cost="Above 1 trains faster but risks loss spikes and forgetting; below 1 learns less in the same steps.",
        typical="1.0 (the rate as written); 0.5–2 when trying rates around a known good one.",
        interacts=("learning_rate", "lr_batch_size_scaling"),
    )
