"""A problem found in a preset: where it is (file, line, key) and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass
class Problem:
    key: str  # dotted path: "micro_batch_size", "datasets.0.type"; "" for the whole file
    message: str  # says what is wrong and what to do
    severity: Severity = "error"
    file: str | None = None
    line: int | None = None  # 1-based line in the YAML file

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.key:
            parts.append(f"key '{self.key}'")
        return ", ".join(parts)

    def format(self) -> str:
        where = self.where()
        return f"{self.severity}: {where}: {self.message}" if where else f"{self.severity}: {self.message}"
