"""The knob registry: the single source of truth for every preset key.

Names are imported on first use (PEP 562): ``from engine.knobs.registry import get_knob`` reads the knob
catalogue without building the pydantic models, which only ``Config``, ``DatasetConfig`` and validation need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import knob
    from .config import Config
    from .datasets import DatasetConfig
    from .facts import KnobInfo, Section
    from .problems import Problem
    from .registry import all_knobs, dataset_knobs, get_knob, knobs_by_section, top_level_knobs

_HOME = {
    "Config": ".config", "DatasetConfig": ".datasets", "KnobInfo": ".facts", "Problem": ".problems",
    "Section": ".facts", "knob": ".base", "all_knobs": ".registry", "dataset_knobs": ".registry",
    "get_knob": ".registry", "knobs_by_section": ".registry", "top_level_knobs": ".registry",
}

__all__ = [
    "Config", "DatasetConfig", "KnobInfo", "Problem", "Section", "all_knobs", "dataset_knobs", "get_knob",
    "knob", "knobs_by_section", "top_level_knobs",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name], __name__), name)
    globals()[name] = value
    return value
