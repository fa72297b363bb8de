"""Which tool a config comes from, read off its top-level sections."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from engine.errors import TunedeckError
from engine.preset.axolotl_features import cloud_launch_config

from . import h2o_llmstudio, silogen, turbo_alignment
from .source import SourceConfig

TOOLS: tuple[tuple[str, ModuleType], ...] = (
    ("H2O LLM Studio", h2o_llmstudio),
    ("SiloGen finetuning", silogen),
    ("turbo-alignment", turbo_alignment),
)


def detect(source: SourceConfig) -> Callable[[SourceConfig], object]:
    """The converter for ``source``; an unknown config is an error naming what was found and what is known."""
    for _name, module in TOOLS:
        if module.looks_like(source.data):
            return module.convert
    cloud = cloud_launch_config(source.data)
    if cloud is not None:
        key, message = cloud
        raise TunedeckError(f"{source.where(key)}: {message}")
    found = ", ".join(list(source.data)[:8]) or "nothing"
    raise TunedeckError(
        f"{source.path}:1: not a config tunedeck can import (top-level keys: {found}). It imports an H2O LLM "
        "Studio experiment cfg.yaml (llm_backbone, dataset, training), a SiloGen finetuning YAML (data_conf, "
        "training_args, batchsize_conf, run_conf) or a turbo-alignment train JSON (train_dataset_settings, "
        "model_settings, trainer_settings). An Axolotl config needs no import: open it directly.")
