"""Dataset knobs: where the training text comes from and how it becomes tokens and labels."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .base import Section, knob

S = Section.DATASETS

DatasetType = Literal["completion", "input_output", "chat_template"]
TrainOnEos = Literal["all", "turn", "last", "none"]


class DatasetConfig(BaseModel):
    """One entry of ``datasets:``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    path: str = knob(
        ..., section=S, basic=True,
        summary="A local file or folder (.jsonl/.json/.parquet/.csv/.txt) or a Hugging Face dataset id.",
    )
    type: DatasetType = knob(
        "completion", section=S, basic=True,
        summary="How rows become tokens: completion, input_output or chat_template.",
    )
    split: str = knob("train", section=S, summary="Which split of the dataset to read.")
    name: str | None = knob(None, section=S, summary="The dataset's configuration name, for hub datasets that have several.")
    data_files: str | list[str] | None = knob(
        None, section=S, summary="Specific files inside path to read.",
    )
    ds_type: Literal["json", "parquet", "csv", "text", "arrow"] | None = knob(
        None, section=S, summary="File format; inferred from the extension when left empty.",
    )
    field: str | None = knob(
        None, section=S, summary="completion: the column holding the text (default: text).",
    )
    chat_template: str | None = knob(
        None, section=S,
        summary="chat_template: a named template (chatml, llama3, ...) or 'tokenizer_default'; overrides the top-level one.",
    )
    field_messages: str = knob(
        "messages", section=S, summary="chat_template: the column holding the list of messages.",
    )
    message_property_mappings: dict[str, str] | None = knob(
        None, section=S,
        summary="chat_template: which keys of a message hold the role and the content, e.g. {role: from, content: value}.",
    )
    message_field_role: str | None = knob(
        None, section=S, summary="Legacy: the message key holding the role (use message_property_mappings).",
    )
    message_field_content: str | None = knob(
        None, section=S, summary="Legacy: the message key holding the content (use message_property_mappings).",
    )
    roles: dict[str, list[str]] | None = knob(
        None, section=S,
        summary="chat_template: map the data's role names onto the template's, e.g. user: [human], assistant: [gpt].",
    )
    roles_to_train: list[str] = knob(
        default_factory=lambda: ["assistant"], section=S,
        summary="chat_template: whose turns carry labels (are learned).",
    )
    train_on_eos: TrainOnEos = knob(
        "turn", section=S,
        summary="chat_template: which end-of-turn EOS tokens are learned: all, turn (trained turns), last or none.",
    )
    train_on_eot: TrainOnEos | None = knob(
        None, section=S,
        summary="chat_template: like train_on_eos for the eot_tokens; defaults to train_on_eos.",
    )


class DatasetKnobs(BaseModel):
    datasets: list[DatasetConfig] = knob(
        default_factory=list, section=S, basic=True,
        summary="The training data: one or more sources, each with a type that says how to read it.",
    )
    chat_template: str | None = knob(
        None, section=S,
        summary="Chat template for chat_template datasets: a name (chatml, llama3, ...), 'tokenizer_default' or a Jinja string.",
    )
    eot_tokens: list[str] | None = knob(
        None, section=S,
        summary="Tokens that end a turn in the chat template (besides EOS); trained per train_on_eot.",
    )
    dataset_prepared_path: str | None = knob(
        None, section=S,
        summary="Folder for the tokenized-data cache (default: last_run_prepared beside output_dir).",
    )
    train_on_inputs: bool = knob(
        False, section=S,
        summary="Learn the prompt/input tokens too, not only the responses.",
    )
