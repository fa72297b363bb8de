"""W&B and Hub wiring through the environment, before the Trainer starts.

W&B reads WANDB_PROJECT / ENTITY / NAME / MODE / LOG_MODEL itself; offline mode needs no network or login.
Secrets (HF_TOKEN, WANDB_API_KEY) stay in the environment only: nothing here copies them anywhere.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.knobs.config import Config

SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY")


def wandb_env(cfg: Config) -> dict[str, str]:
    if not cfg.wandb_project or cfg.wandb_mode == "disabled":
        return {}
    env = {"WANDB_PROJECT": cfg.wandb_project}
    for key, value in (
        ("WANDB_ENTITY", cfg.wandb_entity), ("WANDB_NAME", cfg.wandb_name), ("WANDB_MODE", cfg.wandb_mode),
        ("WANDB_LOG_MODEL", cfg.wandb_log_model),
    ):
        if value:
            env[key] = str(value)
    return env


def apply_env(cfg: Config) -> None:
    os.environ.update(wandb_env(cfg))
    # Logging gradients/weights histograms (wandb.watch) slows every step; the user can still ask for it.
    os.environ.setdefault("WANDB_WATCH", "false")
