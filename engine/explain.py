"""The teaching text of the knob registry, rendered for people (``tunedeck explain`` and the TUI's help panel).

Light on purpose: rich and the registry only, so the TUI process can import it.
"""

from __future__ import annotations

import difflib
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.errors import TunedeckError
from engine.knobs import (
    KnobInfo,
    Section,
    all_knobs,
    dataset_knobs,
    get_knob,
    knobs_by_section,
)
from engine.knobs.types import describe_type


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_default(info: KnobInfo) -> str:
    """The default as a person would write it in YAML."""
    if info.field_info.is_required():
        return "required"
    value = info.default
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return _number(value)
    return str(value)


def render_knob(info: KnobInfo) -> RenderableType:
    """Everything the registry says about one knob: for ``tunedeck explain KNOB`` and the editor's help panel."""
    head = Text.assemble((info.path, "bold cyan"), "  ", (info.section.value, "dim"))
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold", no_wrap=True)
    rows.add_column(ratio=1)
    # Registry text goes in as Text, never as a markup string: "[assistant]" is text, not a Rich style tag.
    rows.add_row("Type", Text(describe_type(info.annotation, info.field_info.metadata)))
    rows.add_row("Default", Text(describe_default(info)))
    if info.aliases:
        rows.add_row("Also spelled", Text(", ".join(info.aliases)))
    if not info.axolotl:
        rows.add_row("Used by", "tunedeck only (Axolotl ignores it)")
    for label, text in (("What", info.what), ("Cost", info.cost), ("Typical", info.typical)):
        if text:
            rows.add_row(label, Text(text))
    if info.interacts:
        rows.add_row("Interacts with", _interacts(info))
    return Group(head, Text(info.summary, style="italic"), Text(""), rows)


def _interacts(info: KnobInfo) -> Text:
    lines = []
    for name in info.interacts:
        other = get_knob(name)
        lines.append(Text.assemble((other.path, "cyan"), " — ", other.summary) if other else Text(name))
    return Text("\n").join(lines)


def render_list(section: Section | None = None, basic_only: bool = False) -> RenderableType:
    """Knobs grouped by section: key and one-line summary (★ marks the newcomer's basic knobs)."""
    parts: list[RenderableType] = []
    for sec, knobs in knobs_by_section(basic_only).items():
        if (section is not None and sec is not section) or not knobs:
            continue
        table = Table(title=sec.value, title_justify="left", title_style="bold", expand=True,
                      show_edge=False, header_style="dim")
        table.add_column("Knob", style="cyan", no_wrap=True)
        table.add_column("Summary", ratio=1)
        for k in knobs:
            table.add_row(Text(("★ " if k.basic else "  ") + k.path), Text(k.summary))
        parts += [table, Text("")]
    parts.append(Text("★ basic knobs   ·   tunedeck explain KNOB for the full story", style="dim"))
    return Group(*parts)


def find_knob(name: str) -> KnobInfo:
    """A knob by key, alias, dataset path (``datasets[].type``, ``datasets.0.type``) or bare per-dataset key."""
    cleaned = name.strip()
    info = get_knob(cleaned) or get_knob(f"datasets.{cleaned}")
    if info is not None:
        return info
    names = _all_names()
    close = difflib.get_close_matches(cleaned, names, n=3, cutoff=0.6)
    if not close:  # "datasets.0.feild_mesages" → compare the last part with bare names too
        close = difflib.get_close_matches(cleaned.rsplit(".", 1)[-1], names, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise TunedeckError(f"'{name}' is not a knob tunedeck knows.{hint} Run `tunedeck explain` to list every "
                        "knob by section.")


def find_section(name: str) -> Section:
    wanted = name.strip().lower()
    for sec in Section:
        if wanted in (sec.name.lower(), sec.value.lower()) or sec.value.lower().startswith(wanted):
            return sec
    choices = ", ".join(s.name.lower() for s in Section)
    raise TunedeckError(f"'{name}' is not a section. Choose one of: {choices}.")


def _all_names() -> list[str]:
    names: list[str] = []
    for k in all_knobs():
        names.append(k.path)
        names += k.aliases
    names += [k.key for k in dataset_knobs()]
    return names
