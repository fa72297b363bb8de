"""Checks that depend on the machine that will run the preset: local paths that must exist, what needs a GPU.

Apart from the preset's own validity (a preset written on a laptop for a GPU server saves and opens fine), and
asked for where the preset is about to run: ``tunedeck validate`` (unless --anywhere) and the editor's launch.
A dataset written as a local path that is not there is an error (Hub ids are not checked: offline they may
still be cached); a base_model written as a path that is not a folder gets a hint; without a usable GPU, what
the engine refuses on a CPU (engine.machine.cpu_refusals) is an error, so it stops before launch, not at it;
an attention kernel the run will replace (engine.attention) is named with what it will use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from engine.attention import attention_plan, kernels_installed
from engine.knobs.config import Config
from engine.knobs.problems import Problem
from engine.machine import cpu_refusals, gpu_usable
from engine.paths import resolve_path, written_as_path

from .document import Preset
from .yamlio import line_of, parse


def problems_here(preset: Preset) -> list[Problem]:
    """What stops ``preset`` on this machine, with file and line; [] while the preset itself has errors."""
    if not preset.ok:
        return []
    file = str(preset.path) if preset.path is not None else None
    found = machine_problems(preset.config, file)
    doc = parse(preset.to_yaml().replace("\r\n", "\n"), file)  # line numbers as the file will read
    for problem in found:
        problem.file = file
        problem.line = line_of(doc, [int(p) if p.isdecimal() else p for p in problem.key.split(".")])
    return found


def machine_problems(cfg: Config, preset_file: str | None) -> list[Problem]:
    """Every problem of ``cfg`` on this machine; paths resolve as the engine resolves them."""
    found = list(_dataset_paths(cfg, preset_file))
    found += _base_model_path(cfg, preset_file)
    gpu = gpu_usable()
    if not gpu:
        found += [Problem(key, message, "error") for key, message in cpu_refusals(cfg)]
    attention = attention_plan(cfg, gpu=gpu, kernels=kernels_installed())
    if attention.note:
        found.append(Problem("attn_implementation", attention.note, attention.severity))
    return found


def _looked_in(preset_file: str | None) -> str:
    places = [f"the working directory ({Path.cwd()})"]
    if preset_file is not None:
        places.append(f"the preset's folder ({Path(preset_file).resolve().parent})")
    return " and ".join(places)


def _dataset_paths(cfg: Config, preset_file: str | None) -> Iterator[Problem]:
    for i, ds in enumerate(cfg.datasets):
        if written_as_path(ds.path) and not resolve_path(ds.path, preset_file).exists():
            yield Problem(f"datasets.{i}.path", f"'{ds.path}' is written as a local path, but no such file or "
                          f"folder is in {_looked_in(preset_file)}: fix the path, or write a Hugging Face dataset "
                          "id (user-or-org/name).", "error")


def _base_model_path(cfg: Config, preset_file: str | None) -> Iterator[Problem]:
    value = (cfg.base_model or "").strip()
    if not value or not written_as_path(value):
        return
    found = resolve_path(value, preset_file)
    if found.is_dir():
        return
    if found.exists():
        yield Problem("base_model", f"base_model '{value}' is a file, but a model loads from a folder holding "
                      f"config.json, the weights and the tokenizer: write that folder ({found.parent}{os.sep}).",
                      "warning")
        return
    yield Problem("base_model", f"base_model '{value}' is written as a local path, but no such folder is in "
                  f"{_looked_in(preset_file)}, so loading the model will fail: fix the path, or write a Hugging "
                  "Face model id (user-or-org/name).", "warning")
