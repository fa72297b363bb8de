"""The list of sections on the left; choosing one switches the form."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from engine.knobs.facts import Section


def section_id(section: Section) -> str:
    return "section-" + section.name.lower()


class SectionNav(OptionList):
    # Tab enters the highlighted section. Textual's own Tab would pick the next field on screen, which may be in
    # the section a just-pressed arrow key is about to hide: what is typed next would go into a hidden field.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("tab", "select", "Enter section", show=False)]

    def __init__(self) -> None:
        super().__init__(*(Option(s.value, id=section_id(s)) for s in Section), id="section-nav")

    def on_mount(self) -> None:
        self.border_title = "Sections"
        self.highlighted = 0
