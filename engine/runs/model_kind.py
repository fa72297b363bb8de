"""What kind of model a run trains, read from its resolved preset (``RUN/preset.yaml``): a model that writes text,
or a reward model (``reward_model: true``) whose score head gives a conversation one number and writes nothing.

Light (engine.preset, no torch): the TUI asks before it opens a chat with a run's model.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import TunedeckError

from .folder import PRESET_FILE


def trains_reward_model(run_dir: str | os.PathLike[str]) -> bool:
    """Whether the run's preset sets ``reward_model: true``; False when the preset cannot be read (whoever loads
    the run's weights says what is wrong with it)."""
    from engine.preset import load_preset

    try:
        preset = load_preset(Path(run_dir) / PRESET_FILE)
    except TunedeckError:
        return False
    return preset.get("reward_model") is True
