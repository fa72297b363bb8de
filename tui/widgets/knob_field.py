"""One knob in the editor: its key, a widget that fits its type, and the problem with its value, in place."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static, Switch

from engine.knobs.facts import KnobInfo

from ..kinds import UNSET, FieldError, Kind, parse, to_text


class KnobValidator(Validator):
    """Textual's Input validator running the knob's own pydantic check (what ``tunedeck validate`` checks).

    The text the field opened with is left to the editor's first check of the whole preset, which marks the
    field after the first frame: checking it here would build the knob models before anything is on screen."""

    def __init__(self, knob: KnobInfo, initial: str) -> None:
        super().__init__()
        self.knob = knob
        self.initial: str | None = initial

    def validate(self, value: str) -> ValidationResult:
        if self.initial is not None:
            if value == self.initial:
                return self.success()
            self.initial = None  # edited: every text from now on is checked
        try:
            parse(value, self.knob)
        except FieldError as err:
            return self.failure(str(err), value)
        return self.success()


EMPTY_SETTLE_S = 0.6  # an emptied field is unset only once it stays empty this long


def _choice_label(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def field_id(path: str) -> str:
    """A widget id for a knob path ("datasets.0.type" → "knob-datasets-0-type")."""
    return "knob-" + path.replace(".", "-").replace("_", "-")


class KnobField(Vertical):
    """Key label + control + message line. Posts :class:`KnobField.Edited` with the parsed value."""

    class Edited(Message):
        def __init__(self, field: KnobField, value: Any, error: str | None) -> None:
            super().__init__()
            self.field = field
            self.value = value
            self.error = error

    def __init__(self, knob: KnobInfo, path: str, value: Any) -> None:
        super().__init__(id=field_id(path), classes="knob-field" + ("" if knob.basic else " -advanced"))
        self.knob = knob
        self.path = path
        self.kind: Kind = knob.kind
        self._initial = value
        self._empty_timer: Timer | None = None
        self._shown: Any = None  # what the control last showed, to drop the echo of programmatic changes

    # ---- building ------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        key = self.path.split(".")[-1]
        label = Text(key, "bold")
        label.append(f"  {self.knob.summary}", "dim")
        yield Label(label, classes="knob-key")
        yield self._control(self._initial)
        yield Static("", classes="knob-message")

    def _control(self, value: Any) -> Input | Select[Any] | Switch:
        kind = self.kind
        if kind.name == "bool":
            self._shown = bool(value if value is not UNSET else self.knob.default)
            return Switch(value=self._shown, classes="knob-control")
        if kind.name == "choice":
            options = [(_choice_label(c), c) for c in kind.choices]
            start = value if value is not UNSET and value in kind.choices else Select.NULL
            if start is Select.NULL and not kind.optional:
                start = self.knob.default
            self._shown = UNSET if start is Select.NULL else start
            return Select(options, value=start, allow_blank=kind.optional, prompt="(unset)",
                          classes="knob-control", compact=False)
        default = self.knob.default
        placeholder = kind.hint
        if default not in (None, [], {}):
            placeholder = f"default: {to_text(default, kind)}" + (f" · {placeholder}" if placeholder else "")
        elif kind.optional:
            placeholder = "(unset)" + (f" · {placeholder}" if placeholder else "")
        self._shown = to_text(value, kind)
        return Input(self._shown, placeholder=placeholder, classes="knob-control",
                     validators=[KnobValidator(self.knob, self._shown)], validate_on=["changed"], valid_empty=True)

    # ---- values --------------------------------------------------------------------------------------------
    @property
    def control(self) -> Input | Select[Any] | Switch:
        return self.query_one(".knob-control")  # type: ignore[return-value]

    def show(self, value: Any) -> None:
        """Put a value into the control without reporting it as an edit."""
        control = self.control
        with control.prevent(Input.Changed, Select.Changed, Switch.Changed):
            if isinstance(control, Switch):
                self._shown = control.value = bool(value)
            elif isinstance(control, Select):
                control.value = value if value in self.kind.choices else Select.NULL
                self._shown = UNSET if control.value is Select.NULL else control.value
            else:
                self._shown = control.value = to_text(value, self.kind)

    def set_message(self, text: str, severity: str = "error") -> None:
        """Mark the field: red border and the message under it for errors, a quieter line for warnings."""
        message = self.query_one(".knob-message", Static)
        message.update(Text(text))  # plain text: "[q_proj, v_proj]" in a message is not Rich markup
        self.set_class(bool(text) and severity == "error", "-error")
        self.set_class(bool(text) and severity != "error", "-warning")

    def _report(self, value: Any, error: str | None) -> None:
        self.post_message(self.Edited(self, value, error))

    def _hidden(self) -> bool:
        return not all(node.display for node in self.ancestors_with_self if node is not self.screen)

    def _refuse_if_hidden(self) -> bool:
        """A key that reached this field after it was hidden (a section swap, the basic view) is undone: what
        the user cannot see must not change the preset."""
        if not self._hidden():
            return False
        control = self.control
        if isinstance(control, Input):
            with control.prevent(Input.Changed):
                control.value = self._shown
        else:
            self.show(self._shown)
        return True

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._shown or self._refuse_if_hidden():
            return
        self._shown = event.value
        if self._empty_timer is not None:
            self._empty_timer.stop()
            self._empty_timer = None
        try:
            value = parse(event.value, self.knob)
        except FieldError as err:
            self._report(err.value if err.value is not None else event.value.strip(), str(err))
            return
        if value is UNSET and not self.kind.optional and self.knob.default is None:
            self._report(value, "required: type a value")
            return
        if value is UNSET:
            # Unsetting removes the key (and its comment): wait, in case the user is only retyping the value.
            self._empty_timer = self.set_timer(EMPTY_SETTLE_S, lambda: self._report(UNSET, None))
            return
        self._report(value, None)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = UNSET if event.value is Select.NULL else event.value
        if value == self._shown or self._refuse_if_hidden():
            return
        self._shown = value
        self._report(value, None)

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if event.value == self._shown or self._refuse_if_hidden():
            return
        self._shown = event.value
        self._report(event.value, None)
