"""A dialog of facts above a row of buttons that fits any terminal: the facts scroll inside it.

Facts name folders and models, whose names can be long, and list warnings, which can be many: a dialog that grew
with them past the screen lost its first lines above it (where the question is) or its buttons below it. Here
the dialog never grows past the screen, the facts get what the frame leaves, and the arrow, page, Home and End
keys scroll them while a button has the focus (the focus starts on a button).
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import events
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")
FACTS = "dialog-facts"  # the class of the VerticalScroll that holds a dialog's facts


class FactsDialog(ModalScreen[ResultT]):
    """Subclasses compose one ``VerticalScroll(classes=FACTS)`` and set ``FRAME_LINES``: the lines of border,
    padding, margins, fixed lines and buttons around it."""

    FRAME_LINES: ClassVar[int] = 10
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"scroll_facts('{action}')", show=False)
        for key, action in (("up", "scroll_up"), ("down", "scroll_down"), ("pageup", "page_up"),
                            ("pagedown", "page_down"), ("home", "scroll_home"), ("end", "scroll_end"))
    ]

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(f".{FACTS}", VerticalScroll).styles.max_height = max(3, event.size.height - self.FRAME_LINES)

    async def action_scroll_facts(self, action: str) -> None:
        await self.query_one(f".{FACTS}", VerticalScroll).run_action(action)
