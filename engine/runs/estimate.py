"""A run's pre-launch estimate, made from the run's own resolved preset (RUN/preset.yaml), for viewers to show
beside what the run measures (peak GPU memory, tokens/s and ETA).

Light: json, yaml and math (engine.estimate), no torch, so the TUI can call it in a worker thread.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import TunedeckError

from .folder import PRESET_FILE

if TYPE_CHECKING:
    from engine.estimate.report import Report


def run_estimate(run_dir: str | os.PathLike[str], steps_per_epoch: int | None = None,
                 data: dict[str, int] | None = None) -> Report | str:
    """The estimate for the run's preset, or a line saying why there is none. ``data`` (the start event's
    longest_row and tokens_per_epoch, from the data the trainer prepared) sizes activations by the longest row and
    the time by the real tokens; without it, ``steps_per_epoch`` optimizer steps of the preset's tokens per step
    (rows filled to sequence_len, as before launch when the data is not counted); with neither, no time."""
    from engine import derive
    from engine.estimate.from_preset import setup_from_config
    from engine.estimate.report import build_report, target_gpu, with_data
    from engine.preset import load_config

    preset = Path(run_dir) / PRESET_FILE
    try:
        cfg = load_config(preset)
        setup = setup_from_config(cfg, preset)
    except TunedeckError as err:
        return f"no estimate: {err}"
    except OSError as err:
        return f"no estimate: {preset} cannot be read ({err.strerror or err})"
    data = data or {}
    setup = with_data(setup, cfg, data)
    tokens = data.get("tokens_per_epoch") or (steps_per_epoch * derive.tokens_per_step(cfg) if steps_per_epoch
                                              else None)
    return build_report(setup, cfg, target_gpu(cfg), tokens)
