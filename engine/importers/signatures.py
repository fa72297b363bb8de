"""How each tool's config is recognised, by its top-level keys alone: cheap enough to ask of every file the editor
opens (the converters load only for a config that is another tool's)."""

from __future__ import annotations

from typing import Any


def h2o_llmstudio(data: dict[str, Any]) -> bool:
    return "llm_backbone" in data or ("problem_type" in data and "training" in data)


def silogen(data: dict[str, Any]) -> bool:
    return "data_conf" in data and ("training_args" in data or "batchsize_conf" in data)


def turbo_alignment(data: dict[str, Any]) -> bool:
    return "train_dataset_settings" in data or ("model_settings" in data and "trainer_settings" in data)


def is_foreign(data: Any) -> bool:
    """True when ``data`` (a config's top level) is one of the known tools' configs."""
    return isinstance(data, dict) and any(looks(data) for looks in (h2o_llmstudio, silogen, turbo_alignment))
