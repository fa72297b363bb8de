"""Presets: load a YAML file round-trip, validate it against the knob registry, edit and save it atomically.

``load_preset(path) -> Preset``; ``load_config(path, overrides) -> Config``; ``apply_override(preset, "k=v")``.
Only edited lines change on save: comments, key order, quoting and unknown keys survive.
"""

from .document import Preset, errors_message, format_problem, load_preset
from .overrides import apply_override, load_config

__all__ = ["Preset", "apply_override", "errors_message", "format_problem", "load_config", "load_preset"]
