"""The help panel: follows the focus and teaches the knob under it."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from engine.knobs.facts import KnobInfo

from ..kinds import UNSET, to_text
from .scroll_text import ScrollText


def render_help(knob: KnobInfo, path: str, value: Any, *, full: bool = False) -> Text:
    kind = knob.kind
    out = Text()
    out.append(path, "bold")
    out.append("  Axolotl key\n" if knob.axolotl else "  tunedeck's own key (Axolotl ignores it)\n", "dim")
    out.append(f"{knob.summary}\n", "italic")
    shown = "(unset)" if value is UNSET or value is None else to_text(value, kind)
    default = "(unset)" if knob.default is None else to_text(knob.default, kind)
    out.append("value ", "dim")
    out.append(shown, "bold")
    out.append("  default ", "dim")
    out.append(default)
    out.append("\n")
    for title, body in (("What", knob.what), ("Cost", knob.cost), ("Typical", knob.typical)):
        if body:
            out.append(f"\n{title}: ", "bold")
            out.append(body)
    if knob.interacts:
        out.append("\nInteracts: ", "bold")
        out.append(", ".join(knob.interacts))
    out.append("\n")
    return out


class HelpPanel(ScrollText):
    """Taller than its box at 80×24: Tab to it, then arrows / PgDn / End read the rest."""

    def on_mount(self) -> None:
        self.border_title = "Help (F1: more)"
        self.update(Text("Move to a knob to read what it does.", "dim"))

    def show_knob(self, knob: KnobInfo, path: str, value: Any) -> None:
        self.update(render_help(knob, path, value))
        self.scroll_home(animate=False)  # a new knob's text starts at its top
