"""Schedule & optimizer knobs: how long to train and how each optimizer step moves the weights."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.SCHEDULE

# transformers' OptimizerNames that Axolotl accepts and tunedeck's stack can build (torch, bitsandbytes, torchao),
# and Axolotl's muon (built by engine.train.muon from torch's Muon and AdamW).
Optimizer = Literal[
    "adamw_torch", "adamw_torch_fused", "adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit", "paged_adamw_32bit",
    "adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "ademamix_8bit", "paged_ademamix_32bit",
    "paged_ademamix_8bit", "adafactor", "sgd", "lion_32bit", "lion_8bit", "paged_lion_32bit", "paged_lion_8bit",
    "muon",
]
Scheduler = Literal[
    "cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "warmup_stable_decay",
]


class ScheduleKnobs(BaseModel, defer_build=True):
    num_epochs: float = knob(
        1, section=S, basic=True, gt=0, le=1_000_000,  # the bound keeps epochs × steps a number the planner can hold
        summary="How many times training passes over the whole dataset.",
        what="The length of training, in passes over the training data. Fractions are allowed (0.5 is half "
        "the data). Total optimizer steps = epochs × rows ÷ effective batch.",
        cost="More epochs cost proportionally more time and memorize the data harder: good for factual "
        "learning, but they overfit chat style, and combined with NEFTune noise too many epochs make the "
        "model markedly worse.",
        typical="1–3 for chat/instruction data; 5–10 to make a small model absorb facts from a small dataset.",
        interacts=("max_steps", "neftune_noise_alpha", "learning_rate", "warmup_ratio"),
    )
    max_steps: int | None = knob(
        None, section=S, ge=1, le=1_000_000_000,  # a billion steps is years of training; 10**400 overflowed warmup
        summary="Stop after this many optimizer steps (overrides num_epochs).",
        what="A hard cap on optimizer steps. When set, it decides the run's length and the learning-rate "
        "schedule, and num_epochs no longer matters.",
        cost="None by itself; handy for quick smoke tests and for fixing the compute budget.",
        typical="Empty; 10–50 for a smoke test of a new preset.",
        interacts=("num_epochs", "warmup_steps", "lr_scheduler"),
    )
    learning_rate: float = knob(
        2e-4, section=S, basic=True, gt=0,
        summary="Peak step size of the optimizer.",
        what="How far each optimizer step moves the weights at the peak of the schedule (after warmup). "
        "Adapters tolerate and need larger rates than full fine-tuning.",
        cost="Too high and the loss spikes or diverges, or the model forgets what it knew; too low and it "
        "learns little in the steps it has. A larger effective batch tolerates a somewhat higher rate.",
        typical="1e-4 to 3e-4 for LoRA/QLoRA; 1e-5 to 2e-5 for full fine-tuning of 7B models; up to 1e-3 "
        "for tiny models.",
        interacts=("lr_scheduler", "warmup_steps", "warmup_ratio", "adapter", "gradient_accumulation_steps"),
    )
    optimizer: Optimizer = knob(
        "adamw_torch", section=S,
        summary="The optimizer algorithm.",
        what="The rule that turns gradients into weight updates. adamw_* keep two running statistics per "
        "trained weight; the 8bit variants (bitsandbytes) store those in 8 bits, adamw_torch_4bit/8bit "
        "(torchao, installed separately) in 4 or 8; paged_* can spill them to CPU memory under pressure; "
        "ademamix adds a slow third statistic, lion keeps one; adafactor keeps factored statistics; sgd none. "
        "muon orthogonalises the momentum of each trained hidden matrix (with lora/qlora: A and B, each on its "
        "own, as Axolotl does) and leaves embeddings, output head, norms and biases to AdamW, all at "
        "learning_rate.",
        cost="AdamW in 32-bit costs 8 bytes of state per trained parameter (a big share of full fine-tuning "
        "memory); 8-bit variants cut that by ~4× with little quality loss. bitsandbytes optimizers need a "
        "GPU build of bitsandbytes for speed. muon keeps one momentum buffer per hidden-matrix weight (half "
        "AdamW's state there; there is no 8-bit muon) and adds a few matrix products per matrix each step.",
        typical="adamw_torch (or adamw_torch_fused on GPU) for adapters and small models; paged_adamw_8bit "
        "with qlora; adamw_8bit for full fine-tunes short on memory; muon for pretraining, at Muon's rates "
        "(learning_rate 0.01–0.05, Axolotl's example 0.02: its steps are that size in spectral norm).",
        interacts=("learning_rate", "weight_decay", "adapter", "deepspeed", "fsdp_config"),
    )
    lr_scheduler: Scheduler = knob(
        "cosine", section=S,
        summary="How the learning rate changes over training after warmup.",
        what="The learning-rate curve after warmup: cosine glides down to zero along a half cosine; linear "
        "falls in a straight line; constant stays at learning_rate; cosine_with_min_lr stops at a floor; "
        "warmup_stable_decay holds then decays at the end; reduce_lr_on_plateau cuts it when the eval loss "
        "stalls.",
        cost="No memory or speed cost. Decaying schedules usually end with a lower loss than constant.",
        typical="cosine; linear is an equally safe choice.",
        interacts=("learning_rate", "warmup_steps", "warmup_ratio", "max_steps"),
    )
    warmup_steps: int | float | None = knob(  # int | float: pydantic keeps 10 an int and 0.1 a float
        None, section=S, ge=0,
        summary="Optimizer steps over which the learning rate ramps up from 0 (below 1: a fraction of all steps).",
        what="The learning rate climbs linearly from 0 to learning_rate over this many optimizer steps, "
        "letting the optimizer's statistics settle before large updates. A value below 1 is a fraction of the "
        "run's steps, as transformers 5 reads it (0.1 = the first 10%). Set this or warmup_ratio, not both.",
        cost="Too short risks an early loss spike; too long wastes steps at a low rate, which matters in "
        "short runs.",
        typical="10–100 steps, or use warmup_ratio so it scales with run length.",
        interacts=("warmup_ratio", "learning_rate", "max_steps"),
    )
    warmup_ratio: float | None = knob(
        None, section=S, basic=True, ge=0, lt=1,
        summary="Warmup as a fraction of all optimizer steps (instead of warmup_steps).",
        what="The same ramp as warmup_steps, sized as a fraction of the run's total optimizer steps, so it "
        "stays proportionate when the data or batch size changes. Set this or warmup_steps, not both.",
        cost="Same trade-off as warmup_steps.",
        typical="0.03–0.1.",
        interacts=("warmup_steps", "learning_rate", "num_epochs"),
    )
    weight_decay: float = knob(
        0.0, section=S, ge=0,
        summary="Pulls weights toward zero each step (regularisation).",
        what="Shrinks the trained weights slightly at every step (decoupled, as in AdamW), discouraging large "
        "weights and overfitting.",
        cost="No memory or speed cost. Too much holds the model back from learning.",
        typical="0.0–0.1; 0.0 is common for LoRA.",
        interacts=("optimizer", "learning_rate"),
    )
    max_grad_norm: float | None = knob(
        1.0, section=S, ge=0,
        summary="Clip the gradient's norm to this before each step (0 or empty: no clipping).",
        what="When the gradient's overall size exceeds this, it is scaled down to it before the optimizer "
        "step, so one bad batch cannot throw the weights far off.",
        cost="A tiny amount of compute. Too small slows learning on every step.",
        typical="1.0; 0.3 is common with qlora.",
        interacts=("learning_rate",),
    )
    neftune_noise_alpha: float | None = knob(
        None, section=S, gt=0,
        summary="NEFTune: add noise of this scale to input embeddings while training.",
        what="Adds random noise to the token embeddings during training (NEFTune), which often makes "
        "instruction-tuned answers more fluent. Has no effect at inference.",
        cost="No memory or speed cost. Risky for factual learning, and too many epochs with noise on make "
        "the model markedly worse.",
        typical="Empty (off); 5 for instruction tuning over 1–3 epochs.",
        interacts=("num_epochs",),
    )
    seed: int = knob(
        42, section=S, shapes_data=True,
        summary="Random seed for data shuffling, the validation split and weight init of new layers.",
        what="Fixes the randomness: data order, which rows land in the validation set, and the initial "
        "values of new weights such as LoRA matrices. Same seed + same preset ≈ same run.",
        cost="None. Changing it changes the validation split, so compare eval losses only across equal seeds.",
        typical="42 (any fixed number).",
        interacts=("val_set_size",),
    )

    @field_validator("warmup_steps")
    @classmethod
    def _steps_or_fraction(cls, value: float | None) -> float | None:
        if isinstance(value, float) and value >= 1:
            if value != int(value):
                raise ValueError(
                    f"warmup_steps {value} is neither a fraction below 1 nor a whole number of steps: write a "
                    f"fraction such as 0.1, or a step count such as {int(value)}"
                )
            return int(value)
        return value

    @field_validator("learning_rate")
    @classmethod
    def _sane_learning_rate(cls, value: float) -> float:
        if value > 1:
            raise ValueError(
                f"learning_rate {value} is far too large (it is a step size, not a percentage): "
                "use something like 2e-4 for LoRA or 2e-5 for full fine-tuning"
            )
        return value
