"""Tracking & hub knobs: Weights & Biases logging and pushing the result to the Hugging Face Hub."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from .base import Section, knob

S = Section.TRACKING


class TrackingKnobs(BaseModel):
    hub_model_id: str | None = knob(
        None, section=S,
        summary="Push the trained model or adapter to this Hub repository (user/name); token from HF_TOKEN.",
    )
    hub_strategy: Literal["end", "every_save", "checkpoint", "all_checkpoints"] | None = knob(
        None, section=S,
        summary="What to push and when: end, every_save, checkpoint or all_checkpoints.",
    )
    wandb_project: str | None = knob(
        None, section=S, basic=True,
        summary="Log to this Weights & Biases project (empty: no W&B logging).",
    )
    wandb_entity: str | None = knob(None, section=S, summary="W&B team or user that owns the project.")
    wandb_name: str | None = knob(None, section=S, summary="Display name of the W&B run.")
    wandb_mode: Literal["online", "offline", "disabled"] | None = knob(
        None, section=S,
        summary="online, offline (write locally, sync later) or disabled.",
    )
    wandb_log_model: Literal["false", "checkpoint", "end"] | None = knob(
        None, section=S,
        summary="Upload model files to W&B as artifacts: false, checkpoint or end.",
    )
