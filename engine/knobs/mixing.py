"""How the training sources become one training set: concatenated, or interleaved by sampling weight (SiloGen
finetuning's PRECOMPUTE_WEIGHTED_MIX). tunedeck's own: Axolotl concatenates its datasets and has no weights."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.DATASETS

DatasetMixing = Literal["concatenate", "weighted"]


class SamplingWeightKnob(BaseModel, defer_build=True):
    """The ``datasets:`` entry key read by dataset_mixing: weighted."""

    sampling_weight: float = knob(
        1.0, section=S, axolotl=False, shapes_data=True, gt=0,
        summary="With dataset_mixing: weighted, how often this source is drawn, relative to the others "
        "(tunedeck's own).",
        what="Each training row of the weighted mix is drawn from a source picked at random with probability "
        "weight / (sum of the weights), seeded by dataset_mixing_seed. Drawing goes on until every row of every "
        "source has been drawn at least once; a source whose rows are all used starts over, so the sources "
        "with more weight per row repeat. With equal weights the sources take turns instead, until the largest "
        "one is through. This is SiloGen finetuning's sampling_weight; Axolotl has no such key, so it ignores it.",
        cost="A small weight on a large source makes the mix long: to draw all its rows the others are drawn "
        "many times over, so the epoch (and the run) grows and their rows repeat, which can overfit them. The "
        "live panel and train --dry-run show the mix's row count.",
        typical="1.0 (the default). Raise it (e.g. 2.0) on a small, valuable source to see it more often.",
        interacts=("dataset_mixing", "dataset_mixing_seed", "datasets.sample_rate", "datasets.num_samples"),
    )


class MixingKnobs(BaseModel, defer_build=True):
    dataset_mixing: DatasetMixing = knob(
        "concatenate", section=S, axolotl=False, shapes_data=True,
        summary="How the training sources are combined: concatenate (every row once) or weighted (drawn by "
        "datasets[].sampling_weight) (tunedeck's own).",
        what="concatenate: every training row once (Axolotl's way). weighted: a source is drawn at random in "
        "proportion to its sampling_weight and gives its next row, until every row of every source has been "
        "drawn; a source whose rows run out starts over, so rows repeat (equal weights take turns). The mix is "
        "one epoch, still shuffled by the trainer, made from the training rows after sample_rate / "
        "num_samples, length filtering and the validation split (validation rows never repeat). SiloGen "
        "finetuning's PRECOMPUTE_WEIGHTED_MIX; Axolotl has no such key and ignores it.",
        cost="weighted can make an epoch much longer than the sum of the sources (see sampling_weight); "
        "repeated rows are seen several times per epoch. It mixes the rows that fit: SiloGen drops rows longer "
        "than its max_seq_length after mixing, so with rows dropped for length the counts differ from its own.",
        typical="concatenate; weighted to import a SiloGen mix or to up-weight a small source without copying "
        "its file.",
        interacts=("datasets.sampling_weight", "dataset_mixing_seed", "datasets.sample_rate", "val_set_size"),
    )
    dataset_mixing_seed: int | None = knob(
        None, section=S, axolotl=False, shapes_data=True,
        summary="Seed of the weighted mix's draws (default: seed) (tunedeck's own).",
        what="The random draws of dataset_mixing: weighted use this seed, so the same preset gives the same mix "
        "every time; empty uses seed. SiloGen's mix has its own seed (19851243 unless set), which an imported "
        "preset carries here.",
        cost="None; another seed gives another order and a slightly different row count.",
        typical="Empty.",
        interacts=("dataset_mixing", "seed"),
    )
