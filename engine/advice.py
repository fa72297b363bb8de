"""Mentor notes: settings that are valid but probably not what a newcomer wants, with the numbers behind them.

Pure and cheap (a few arithmetic checks over :mod:`engine.derive`): the editor recomputes them on every
keystroke. ``num_rows`` is the number of training rows (after the validation split) and ``num_tokens`` the
per-row token counts (or their total), when a preview has measured them; checks that need them are skipped
otherwise. Some notes overlap the cross-knob rules (NEFTune epochs, 4-bit without an adapter, packing with
eager attention); pass the preset's problems as ``known`` to leave out notes on keys already reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine import derive
from engine.advice_preference import preference_notes
from engine.knobs.problems import Problem

FEW_STEPS = 20
HIGH_FULL_FT_LR = 1e-4
NEFTUNE_MAX_EPOCHS = 3
# Attention kernels that keep packed rows apart (transformers 5 builds the block mask from restarting
# position_ids for sdpa/flex, flash uses them directly). eager does too, but builds a full mask per sample.
PACKING_SAFE_ATTENTION = (None, "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")


def _warn(key: str, message: str) -> Problem:
    return Problem(key=key, message=message, severity="warning")


def _info(key: str, message: str) -> Problem:
    return Problem(key=key, message=message, severity="info")


def advise(cfg: Any, num_rows: int | None = None, num_tokens: derive.Tokens = None, *,
           known: Iterable[Problem] = ()) -> list[Problem]:
    """Mentor warnings and notes for ``cfg`` (a Config), most important first."""
    notes: list[Problem] = []
    split = derive.batch_split(cfg)
    batch = split.effective_batch
    samples = derive.training_samples(cfg, num_rows, num_tokens)
    total = derive.total_steps(cfg, num_rows, num_tokens)
    adapter = getattr(cfg, "adapter", None)
    streamed = bool(getattr(cfg, "pretraining_dataset", None))

    if samples is not None and samples > 0 and batch > samples:
        notes.append(_warn(
            "gradient_accumulation_steps",
            f"the effective batch ({batch} = micro_batch_size {split.micro_batch_size} × gradient_accumulation_steps "
            f"{split.gradient_accumulation_steps} × {split.processes} process(es)) is larger than the "
            f"{samples} training samples, so each epoch is a single, partly empty optimizer step: lower "
            "gradient_accumulation_steps (or micro_batch_size), or add data."))
    if total is not None and total < FEW_STEPS:
        key = "max_steps" if cfg.max_steps else "num_epochs"
        fix = ("Raise max_steps: a streamed pretraining_dataset trains exactly max_steps steps" if streamed else
               "Raise num_epochs, lower gradient_accumulation_steps or micro_batch_size, or add data")
        notes.append(_warn(
            key, f"only {total} optimizer step{'s' if total != 1 else ''} in the whole run: the learning-rate "
            f"schedule and warmup have almost no room and the model barely moves. {fix} (a few dozen steps at "
            "least)."))
    warmup = derive.warmup_steps(cfg, total)
    if total and warmup and warmup * 3 > total:
        key = "warmup_steps" if cfg.warmup_steps is not None else "warmup_ratio"
        notes.append(_warn(
            key, f"warmup takes {warmup} of the {total} optimizer steps (more than a third): the learning rate "
            "spends most of the run ramping up. Aim for about 3–10% of the steps (e.g. warmup_ratio: 0.05)."))
    if adapter is None and not cfg.rl and cfg.learning_rate > HIGH_FULL_FT_LR:  # rl: advice_preference
        notes.append(_warn(
            "learning_rate", f"learning_rate {cfg.learning_rate:g} is high for a full fine-tune (no adapter): every "
            "weight moves and the model can forget what it knew. Use about 1e-5 to 5e-5, or train an adapter "
            "(adapter: lora), where 1e-4 to 2e-4 is usual."))
    if cfg.neftune_noise_alpha is not None and cfg.num_epochs > NEFTUNE_MAX_EPOCHS:
        notes.append(_warn(
            "neftune_noise_alpha", f"NEFTune noise with {cfg.num_epochs:g} epochs: the noise helps short "
            f"instruction tuning but over more than {NEFTUNE_MAX_EPOCHS} epochs it tends to hurt. Lower num_epochs "
            "or remove neftune_noise_alpha."))
    if cfg.sample_packing and cfg.attn_implementation not in PACKING_SAFE_ATTENTION:
        notes.append(_warn(
            "attn_implementation", f"sample_packing with {cfg.attn_implementation} attention: packed rows stay "
            "apart, but this kernel builds a full sequence_len × sequence_len mask per sample (slow, memory-"
            "hungry). Use sdpa (the default) or flash_attention_2."))
    if cfg.load_in_4bit and adapter is None:
        notes.append(_warn(
            "load_in_4bit", "a 4-bit base cannot be trained directly: 4-bit loading only makes sense with an "
            "adapter. Set adapter: qlora, or set load_in_4bit: false for a full fine-tune."))
    if cfg.sample_packing and num_tokens is None and not streamed:  # a stream's blocks are full: max_steps counts
        notes.append(_info(
            "sample_packing", "with sample_packing the step counts depend on token lengths: preview the data "
            "(tunedeck preview) to see the real number of packed sequences and steps."))

    notes += preference_notes(cfg)

    taken = {p.key for p in known}
    return [n for n in notes if n.key not in taken]


def batch_change_advice(old: Any, new: Any) -> list[Problem]:
    """A note when changing gpus_per_node / num_nodes changed the effective batch the preset was tuned for."""
    before, after = derive.effective_batch_size(old), derive.effective_batch_size(new)
    p_old, p_new = derive.num_processes(old), derive.num_processes(new)
    if p_old == p_new or before == after:
        return []
    plan = derive.grad_accum_for(before, int(new.micro_batch_size), p_new)
    if plan.effective_batch == before:
        fix = f"set gradient_accumulation_steps to {plan.gradient_accumulation_steps} to keep {before}"
    else:
        fix = (f"the closest is gradient_accumulation_steps {plan.gradient_accumulation_steps} "
               f"(effective batch {plan.effective_batch}); or adjust micro_batch_size too")
    return [_warn(
        "gradient_accumulation_steps",
        f"the effective batch changed from {before} to {after} because the run now uses {p_new} process(es) "
        f"instead of {p_old} (gpus_per_node × num_nodes): the learning rate and step count were tuned for "
        f"{before}. {fix[0].upper() + fix[1:]}.")]
