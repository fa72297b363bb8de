"""Read a foreign config, convert it, and render the preset text with the report on top."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conversion import Conversion
from .detect import detect
from .report import Report
from .signatures import is_foreign
from .source import read_source

# Preset keys in the order a reader expects them (the order of `tunedeck new`'s preset); the rest follow.
_ORDER = ("base_model", "tokenizer_config", "trust_remote_code", "attn_implementation", "special_tokens", "tokens",
          "rl", "datasets", "chat_template", "chat_template_jinja", "val_set_size", "test_datasets",
          "sequence_len",
          "excess_length_strategy", "micro_batch_size", "gradient_accumulation_steps", "eval_batch_size")


@dataclass
class Imported:
    text: str  # the preset, report comment block first
    report: Report
    preset: dict[str, Any]


def import_config(path: str | Path) -> Imported:
    """Convert the config at ``path``; a malformed or unknown one raises TunedeckError naming file:line."""
    source = read_source(path)
    conv = detect(source)(source)
    assert isinstance(conv, Conversion)
    return Imported(render(conv), conv.report, conv.preset)


def render(conv: Conversion) -> str:
    from engine.preset.yamlio import make_yaml

    ordered = {k: conv.preset[k] for k in _ORDER if k in conv.preset}
    ordered.update({k: v for k, v in conv.preset.items() if k not in ordered})
    stream = io.StringIO()
    make_yaml().dump(ordered, stream)
    return conv.report.comment_block() + "\n" + stream.getvalue()


def import_if_foreign(path: str | Path, data: Any = None) -> Imported | None:
    """The import of ``path`` when it is another tool's config (the editor opens it as a new, unsaved preset);
    None for a preset or anything that is not such a config (it then opens, or fails, as a preset).

    ``data``: the file's top level when the caller has read it already (the editor loads it as a preset first):
    a preset then costs no second read and parse."""
    from engine.errors import TunedeckError

    if data is not None and not is_foreign(data):
        return None
    try:
        source = read_source(path)
    except TunedeckError:
        return None
    try:
        convert = detect(source)
    except TunedeckError:
        return None
    conv = convert(source)
    assert isinstance(conv, Conversion)
    return Imported(render(conv), conv.report, conv.preset)
