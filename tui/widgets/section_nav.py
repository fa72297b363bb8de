"""The list of sections on the left; choosing one switches the form."""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from engine.knobs.base import Section


def section_id(section: Section) -> str:
    return "section-" + section.name.lower()


class SectionNav(OptionList):
    def __init__(self) -> None:
        super().__init__(*(Option(s.value, id=section_id(s)) for s in Section), id="section-nav")

    def on_mount(self) -> None:
        self.border_title = "Sections"
        self.highlighted = 0
