"""The target GPU: a name from ``gpus.json`` or a memory size, and the GPU of this machine when there is one.

Detection never imports torch (the editor's process must not): it asks ``nvidia-smi`` for the first GPU's name
and total memory, and reads nothing else. No NVIDIA driver, no GPU: None.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("gpus.json")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:gib|gb|g)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gib: float
    tflops: float | None  # dense bf16/fp16 peak; None when only the memory is known


@functools.cache
def known_gpus() -> dict[str, Gpu]:
    table = json.loads(TABLE.read_text(encoding="utf-8"))["gpus"]
    return {name: Gpu(name, float(g["memory_gib"]), float(g["tflops"])) for name, g in table.items()}


def parse_gpu(value: str) -> Gpu | None:
    """``A100-80GB`` (a known name, any case) or a memory size (``24``, ``24GB``, ``24 GiB``); None otherwise."""
    for name, gpu in known_gpus().items():
        if name.lower() == value.strip().lower():
            return gpu
    size = _SIZE.match(value)
    if size and float(size.group(1)) > 0:
        return Gpu(f"{float(size.group(1)):g} GiB GPU", float(size.group(1)), None)
    return None


def gpu_named(driver_name: str, memory_gib: float) -> Gpu:
    """A detected GPU: its table entry when the driver's name matches one (and the memory agrees)."""
    table = json.loads(TABLE.read_text(encoding="utf-8"))["gpus"]
    for name, entry in table.items():
        if any(m.lower() in driver_name.lower() for m in entry["match"]) \
                and abs(float(entry["memory_gib"]) - memory_gib) < 4:
            return Gpu(name, memory_gib, float(entry["tflops"]))
    return Gpu(driver_name, memory_gib, None)


@functools.cache
def detect_gpu() -> Gpu | None:
    """This machine's first NVIDIA GPU, via nvidia-smi (cached: asked once per process)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5, check=True).stdout
        name, mib = out.splitlines()[0].rsplit(",", 1)
        return gpu_named(name.strip(), float(mib) / 1024)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
