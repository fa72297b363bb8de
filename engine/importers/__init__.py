"""Import configs from other fine-tuning tools (H2O LLM Studio, SiloGen finetuning, turbo-alignment) as tunedeck
presets, with a report of what was carried over exactly, approximated, or not carried over, and why.

``import_config(path) -> Imported``: the preset text (report as a comment block on top) and the report."""

from .convert import Imported, import_config, import_if_foreign

__all__ = ["Imported", "import_config", "import_if_foreign"]
