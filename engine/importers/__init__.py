"""Import configs from other fine-tuning tools (H2O LLM Studio, SiloGen finetuning, turbo-alignment) as tunedeck
presets, with a report of what was carried over exactly, approximated, or not carried over, and why.

``import_config(path) -> Imported``: the preset text (report as a comment block on top) and the report.
Names load on first use (PEP 562): ``engine.importers.signatures`` tells a foreign config without the converters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .convert import Imported, import_config, import_if_foreign

__all__ = ["Imported", "import_config", "import_if_foreign"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import convert

    return getattr(convert, name)
