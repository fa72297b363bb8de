"""``--set key=value`` overrides: the key checked against the registry, the value typed by its knob."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.axolotl_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_TOP_LEVEL_KEYS
from engine.errors import TunedeckError
from engine.knobs.facts import KnobInfo
from engine.knobs.registry import get_knob

from .document import Preset, load_preset
from .unknown_keys import suggest

if TYPE_CHECKING:
    from engine.knobs.config import Config


def apply_override(preset: Preset, override: str) -> None:
    """Apply one "key=value" to ``preset`` (in memory). Raises TunedeckError naming the override when the key
    is unknown (with a did-you-mean) or the value does not fit the knob."""
    from .edit import CoercionError, coerce, parse_scalar  # ruamel: not for `import engine.preset` (the editor)

    key, sep, raw = override.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise TunedeckError(f"--set {override!r}: write it as key=value, e.g. --set micro_batch_size=4.")
    parts = key.split(".")
    is_dataset = parts[0] == "datasets" and len(parts) == 3
    if parts[0] == "datasets" and len(parts) == 3 and not parts[1].isdecimal():
        raise TunedeckError(f"--set {override!r}: the dataset index must be a number, e.g. datasets.0.{parts[2]}.")
    if parts[0] == "datasets" and len(parts) == 2:
        raise TunedeckError(f"--set {override!r}: say which dataset entry, e.g. datasets.0.{parts[1]}=… "
                            "(0 is the first).")
    knob = get_knob(key)
    if knob is None or (len(parts) > 1 and not is_dataset):
        name = parts[-1] if is_dataset else key
        axolotl = AXOLOTL_DATASET_KEYS if is_dataset else AXOLOTL_TOP_LEVEL_KEYS
        if name in axolotl:
            raise TunedeckError(f"--set {override!r}: '{name}' is an Axolotl key that tunedeck does not use; "
                                "--set changes tunedeck's knobs only (edit the file to change it).")
        close = suggest(name, in_dataset=is_dataset)
        hint = f" — did you mean '{'datasets.' + parts[1] + '.' if is_dataset else ''}{close}'?" if close else "."
        raise TunedeckError(f"--set {override!r}: unknown key '{key}'{hint} "
                            "Run `tunedeck explain` to list the knobs.")
    if parse_scalar(raw) is None:  # key=, key=null, key=~ remove the key
        preset.unset(key)
        return
    try:
        typed = coerce(knob, raw)
    except CoercionError:
        from engine.knobs.types import constraints_of, describe

        raise TunedeckError(
            f"--set {override!r}: {key} expects {describe(knob.annotation, constraints_of(knob.field_info))}, "
            f"got '{raw}'. Give a value of that kind, e.g. {_example(knob)}."
        ) from None
    preset.set(key, typed)


def _example(knob: KnobInfo) -> str:
    if knob.default is not None and knob.default not in ([], {}):
        d = knob.default
        return f"{knob.path.replace('[]', '.0')}={str(d).lower() if isinstance(d, bool) else d}"
    return f"{knob.path.replace('[]', '.0')}=…"


def load_config(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> Config:
    """Load a preset, apply "key=value" overrides, validate; TunedeckError lists every problem."""
    preset = load_preset(path)
    for override in overrides:
        apply_override(preset, override)
    return preset.config
