"""The checkpoints in an output_dir, and which of them a run can resume from.

transformers writes a checkpoint in this order: weights, optimizer and scheduler, RNG state, trainer_state.json. A
run killed midway (or a disk that filled up) leaves a ``checkpoint-N`` folder with only some of them, or with a
file cut short; resuming from it fails deep inside transformers, or silently restarts the optimizer. So a
checkpoint counts as complete only when its trainer state, optimizer state and weights are all there and whole
(as far as can be told without loading them). Import-light: the launcher and the TUI read this.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

PREFIX = "checkpoint-"
TRAINER_STATE = "trainer_state.json"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_model.bin")
OPTIMIZER_FILES = ("optimizer.pt", "optimizer.bin")
# FSDP and DeepSpeed save their sharded states under names of their own.
SHARDED_PREFIXES = ("pytorch_model_fsdp", "optimizer_", "global_step")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    step: int
    missing: tuple[str, ...]  # what a resume needs and this checkpoint lacks; empty when it is complete

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def name(self) -> str:
        return self.path.name

    def why_skipped(self) -> str:
        """"checkpoint-100 (incomplete: no optimizer state)"."""
        return f"{self.name} (incomplete: {', '.join(self.missing)})"


def checkpoints(output_dir: str | os.PathLike[str]) -> list[Checkpoint]:
    """Every ``checkpoint-N`` folder in output_dir, oldest step first, each checked for completeness."""
    found = []
    try:
        entries = list(Path(output_dir).iterdir())
    except OSError:  # no output_dir yet (or unreadable): nothing to resume
        return []
    for path in entries:
        step = path.name[len(PREFIX):]
        if path.name.startswith(PREFIX) and step.isdigit() and path.is_dir():
            found.append(Checkpoint(path.absolute(), int(step), missing_parts(path)))
    return sorted(found, key=lambda c: c.step)


def newest_complete(output_dir: str | os.PathLike[str]) -> tuple[Checkpoint | None, list[Checkpoint]]:
    """(the newest complete checkpoint or None, the incomplete ones newer than it, which a resume skips)."""
    chosen: Checkpoint | None = None
    skipped: list[Checkpoint] = []
    for ckpt in reversed(checkpoints(output_dir)):
        if ckpt.complete:
            chosen = ckpt
            break
        skipped.append(ckpt)
    return chosen, skipped


def missing_parts(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """What is absent or cut short among the trainer state, the optimizer state and the weights."""
    path = Path(path)
    try:
        names = {p.name: p for p in path.iterdir()}
    except OSError:
        return ("unreadable folder",)
    missing = []
    if not _trainer_state_whole(path / TRAINER_STATE):
        missing.append(f"no readable {TRAINER_STATE}")
    sharded = [p for name, p in names.items() if name.startswith(SHARDED_PREFIXES)]
    optimizer = [names[n] for n in OPTIMIZER_FILES if n in names]
    if not (sharded or (optimizer and all(_file_whole(p) for p in optimizer))):
        missing.append("no optimizer state" if not optimizer else f"{optimizer[0].name} cut short")
    weights = [names[n] for n in WEIGHT_FILES if n in names]
    if not (sharded or (weights and all(_file_whole(p) for p in weights))):
        missing.append("no weights" if not weights else f"{weights[0].name} cut short")
    return tuple(missing)


def _trainer_state_whole(path: Path) -> bool:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and "global_step" in state


def _file_whole(path: Path) -> bool:
    """A safetensors file whose header accounts for every byte, a torch zip with its end record, or JSON that
    parses; anything else merely non-empty."""
    try:
        size = path.stat().st_size
        if size == 0:
            return False
        if path.suffix == ".safetensors":
            return _safetensors_whole(path, size)
        if path.suffix in (".pt", ".bin"):
            return zipfile.is_zipfile(path) or path.suffix == ".bin"  # .bin may be a legacy pickle
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        return True
    except (OSError, ValueError):
        return False


def _safetensors_whole(path: Path, size: int) -> bool:
    """safetensors: 8 bytes of header length, a JSON header of tensor offsets, then the data they cover."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return False
        length = int.from_bytes(head, "little")
        if length > size - 8:
            return False
        header = json.loads(fh.read(length))
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)]
    return 8 + length + max(ends, default=0) == size
