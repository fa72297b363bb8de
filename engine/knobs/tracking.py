"""Tracking & hub knobs: Weights & Biases logging and pushing the result to the Hugging Face Hub."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob

S = Section.TRACKING


class TrackingKnobs(BaseModel, defer_build=True):
    hub_model_id: str | None = knob(
        None, section=S,
        summary="Push the trained model or adapter to this Hub repository (user/name); token from HF_TOKEN.",
        what="When set, the trained model (or adapter) and tokenizer are uploaded to this Hugging Face Hub "
        "repository, created if missing. The token comes from HF_TOKEN or huggingface-cli login.",
        cost="Upload time and Hub storage; how much depends on hub_strategy.",
        typical="Empty; your-name/model-name to publish or back up results.",
        interacts=("hub_strategy", "output_dir"),
    )
    hub_strategy: Literal["end", "every_save", "checkpoint", "all_checkpoints"] | None = knob(
        None, section=S,
        summary="What to push and when: end, every_save, checkpoint or all_checkpoints.",
        what="end: push the final model once, when training ends. every_save: push the model each time a "
        "checkpoint is saved (in the background). checkpoint: as every_save, and also the latest checkpoint "
        "in a last-checkpoint folder so training can resume from the Hub. all_checkpoints: every "
        "checkpoint in its own folder.",
        cost="all_checkpoints stores every checkpoint on the Hub and fills your storage fastest; end "
        "stores the least but a crash pushes nothing. Needs hub_model_id.",
        typical="Empty (every_save); end to save Hub space; checkpoint on pre-emptible machines.",
        interacts=("hub_model_id", "saves_per_epoch", "save_steps"),
    )
    wandb_project: str | None = knob(
        None, section=S, basic=True,
        summary="Log to this Weights & Biases project (empty: no W&B logging).",
        what="Sends the loss curves, learning rate, eval results and the preset to this W&B project. The "
        "run folder and the terminal app show the same numbers without it.",
        cost="A little network traffic; needs `wandb login` (or WANDB_API_KEY) unless wandb_mode is offline.",
        typical="Empty, or a project name per model family.",
        interacts=("wandb_entity", "wandb_name", "wandb_mode", "wandb_log_model"),
    )
    wandb_entity: str | None = knob(
        None, section=S,
        summary="W&B team or user that owns the project.",
        what="The W&B user or team under which wandb_project lives; empty uses your default entity.",
        cost="None.",
        typical="Empty, or your team's name.",
        interacts=("wandb_project",),
    )
    wandb_name: str | None = knob(
        None, section=S,
        summary="Display name of the W&B run.",
        what="The run's name in the W&B interface; empty lets W&B invent one.",
        cost="None.",
        typical="Empty, or something like llama3-qlora-r16.",
        interacts=("wandb_project",),
    )
    wandb_mode: Literal["online", "offline", "disabled"] | None = knob(
        None, section=S,
        summary="online, offline (write locally, sync later) or disabled.",
        what="online streams to W&B as training runs; offline writes the run to a local folder that "
        "`wandb sync` uploads later (for machines without internet); disabled turns W&B off even when "
        "wandb_project is set.",
        cost="online needs network and a login; offline needs neither but shows nothing until synced.",
        typical="Empty (online); offline on air-gapped clusters.",
        interacts=("wandb_project",),
    )
    wandb_log_model: Literal["false", "checkpoint", "end"] | None = knob(
        None, section=S,
        summary="Upload model files to W&B as artifacts: false, checkpoint or end.",
        what="checkpoint uploads every saved checkpoint as a W&B artifact; end uploads only the final model; "
        "false uploads none.",
        cost="checkpoint can upload many GB and fill W&B storage; only worth it for adapters or small models.",
        typical="Empty (false).",
        interacts=("wandb_project", "saves_per_epoch"),
    )

    @field_validator("hub_model_id")
    @classmethod
    def _repo_id(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value.count("/") > 1 or " " in value):
            raise ValueError(f"hub_model_id {value!r} is not a Hub repository id: write it as user-or-org/name")
        return value
