"""The mapping report of an import: for each source key, the preset key it became (exact), how it was
approximated and why, or why it was not carried over. Printed by ``tunedeck import`` and kept at the top of the
written preset as a comment block, so nothing a user had is dropped in silence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["exact", "approximated", "not carried over"]


@dataclass(frozen=True)
class Entry:
    source: str  # dotted key in the source config
    status: Status
    target: str  # preset key(s), "" when not carried over
    note: str  # how and why (approximated), why (not carried over), or a short remark


@dataclass
class Report:
    tool: str  # e.g. "turbo-alignment (sft)"
    source_file: str
    entries: list[Entry] = field(default_factory=list)

    def add(self, source: str, status: Status, target: str = "", note: str = "") -> None:
        self.entries.append(Entry(source, status, target, note))

    def of(self, status: Status) -> list[Entry]:
        return [e for e in self.entries if e.status == status]

    def lines(self) -> list[str]:
        """The report as plain lines, grouped by status."""
        counts = (f"{len(self.of('exact'))} exact, {len(self.of('approximated'))} approximated, "
                  f"{len(self.of('not carried over'))} not carried over")
        out = [f"Imported from {self.source_file} ({self.tool}): {counts}."]
        for status, title in (("exact", "Exact"), ("approximated", "Approximated (how, and why)"),
                              ("not carried over", "Not carried over (why)")):
            entries = self.of(status)  # type: ignore[arg-type]
            if not entries:
                continue
            out.append(f"{title}:")
            for e in entries:
                arrow = f" → {e.target}" if e.target else ""
                note = f": {e.note}" if e.note else ""
                out.append(f"  {e.source}{arrow}{note}")
        return out

    def comment_block(self) -> str:
        return "".join(f"# {line}\n" if line else "#\n" for line in self.lines())
