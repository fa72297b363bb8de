"""Streaming pretraining knobs: ``pretraining_dataset`` (raw text read as training goes, never whole) and how its
documents share a block. Axolotl's names and meanings; engine.data.streaming reads them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from .base import Section, knob

S = Section.DATASETS


class PretrainingDatasetConfig(BaseModel):
    """One entry of ``pretraining_dataset:`` (Axolotl's PretrainingDataset; a completion-style entry also reads)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    path: str = knob(
        ..., section=S, path="data",
        summary="The text to stream: a local file or folder (.jsonl/.json/.parquet/.csv/.txt) or a Hub dataset id.",
        what="Where the documents come from. A relative path is looked up from the working directory first, then "
        "beside the preset; anything else is a Hugging Face dataset id, streamed from the Hub (offline: read from "
        "the local cache, if it is there).",
        typical="data/corpus.jsonl, a folder of parquet shards, or a Hub id such as HuggingFaceFW/fineweb-edu.",
        interacts=("pretraining_dataset",),
    )
    name: str | None = knob(
        None, section=S, summary="The Hub dataset's configuration name (e.g. en, sample-10BT).",
        interacts=("pretraining_dataset",),
    )
    split: str = knob("train", section=S, summary="Which split to stream (local files are all one split, train).")
    text_column: str | None = knob(
        None, section=S, summary="The column holding each document's text (default: text).",
        interacts=("pretraining_dataset",),
    )
    field: str | None = knob(
        None, section=S, summary="type completion: the text column, as datasets' completion entries name it.",
    )
    type: Literal["pretrain", "completion"] = knob(
        "pretrain", section=S,
        summary="pretrain (or completion): every token of every document is learned.",
    )
    data_files: str | list[str] | None = knob(
        None, section=S, summary="Only these files inside path (a name, a glob or a list).",
    )
    ds_type: Literal["json", "parquet", "csv", "text"] | None = knob(
        None, section=S, summary="File format; inferred from the extension when left empty.",
    )
    skip: int | None = knob(
        None, section=S, ge=0,
        summary="Skip this many documents at the start of the stream (e.g. ones a previous run trained on).",
    )

    @field_validator("path")
    @classmethod
    def _path_nonempty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("path is empty: give a text file, a folder or a Hugging Face dataset id")
        return value

    @property
    def column(self) -> str:
        """The text column: text_column, else field, else text."""
        return self.text_column or self.field or "text"


class PretrainingKnobs(BaseModel, defer_build=True):
    pretraining_dataset: list[PretrainingDatasetConfig] | None = knob(
        None, section=S, shapes_data=True,
        summary="Stream raw text for (continued) pretraining: read as training goes, never whole; needs max_steps.",
        what="Instead of datasets, one source of plain documents (path, name, split, text_column, skip) is "
        "streamed: each document is tokenized as it is read, an EOS ends it, and the token stream is cut into "
        "full sequence_len blocks, every token learned. Nothing is read ahead or cached, so a corpus larger "
        "than the disk works; the number of rows is unknown, so max_steps sets the run's length (no epochs; "
        "data that ends first is read again from the start). Resuming re-reads the stream and skips the "
        "blocks already trained on. As in Axolotl, datasets is not read with it, and evaluation needs "
        "test_datasets, not val_set_size.",
        cost="No preprocessing wait and no cache on disk; tokenizing runs beside training on the CPU. Resuming "
        "re-reads (and re-tokenizes) everything already trained on.",
        typical="Empty; a Hub corpus (allenai/c4, name en) or a folder of .jsonl/.parquet text with max_steps.",
        interacts=("max_steps", "sequence_len", "sample_packing", "pretrain_multipack_attn", "datasets",
                   "val_set_size"),
    )
    pretrain_multipack_attn: bool = knob(
        True, section=S, shapes_data=True,
        summary="pretraining_dataset with sample_packing: documents in one block do not attend to each other.",
        what="With sample_packing on, each document in a block starts its own attention span (position ids "
        "restart at 0, as tunedeck's packing of datasets does), so no document sees the one before it. Off, or "
        "without sample_packing, a block is one causal span across its documents (classic GPT-style "
        "pretraining: the EOS is the only separator).",
        cost="None in memory or speed with sdpa or flash attention; kept apart, a document never learns from an "
        "unrelated one before it.",
        typical="true.",
        interacts=("pretraining_dataset", "sample_packing"),
    )

    @field_validator("pretraining_dataset", mode="before")
    @classmethod
    def _one_or_list(cls, value: Any) -> Any:
        """Axolotl also takes one mapping, or just a path, for a single source."""
        if isinstance(value, dict):
            return [value]
        if isinstance(value, str):
            return [{"path": value}]
        return value
