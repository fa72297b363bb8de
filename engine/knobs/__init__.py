"""The knob registry: the single source of truth for every preset key."""

from .base import KnobInfo, Section, knob
from .config import Config
from .datasets import DatasetConfig
from .problems import Problem
from .registry import all_knobs, dataset_knobs, get_knob, knobs_by_section, top_level_knobs

__all__ = [
    "Config", "DatasetConfig", "KnobInfo", "Problem", "Section", "all_knobs", "dataset_knobs", "get_knob",
    "knob", "knobs_by_section", "top_level_knobs",
]
