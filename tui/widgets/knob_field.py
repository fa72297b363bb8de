"""One knob in the editor: its key, a widget that fits its type, and the problem with its value, in place."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Switch

from engine.knobs.base import KnobInfo

from ..kinds import UNSET, FieldError, Kind, kind_of, parse, to_text


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
        self.kind: Kind = kind_of(knob.annotation)
        self._initial = value

    # ---- building ------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(classes="knob-row"):
            yield Label(self.path.split(".")[-1] if "." in self.path else self.path, classes="knob-key")
            yield self._control(self._initial)
        yield Static("", classes="knob-message")

    def _control(self, value: Any) -> Input | Select[Any] | Switch:
        kind = self.kind
        if kind.name == "bool":
            return Switch(value=bool(value if value is not UNSET else self.knob.default), classes="knob-control")
        if kind.name == "choice":
            options = [(_choice_label(c), c) for c in kind.choices]
            start = value if value is not UNSET and value in kind.choices else Select.NULL
            if start is Select.NULL and not kind.optional:
                start = self.knob.default
            return Select(options, value=start, allow_blank=kind.optional, prompt="(unset)",
                          classes="knob-control", compact=False)
        default = self.knob.default
        placeholder = kind.hint
        if default not in (None, [], {}):
            placeholder = f"default: {to_text(default, kind)}" + (f" · {placeholder}" if placeholder else "")
        elif kind.optional:
            placeholder = "(unset)" + (f" · {placeholder}" if placeholder else "")
        return Input(to_text(value, kind), placeholder=placeholder, classes="knob-control")

    # ---- values --------------------------------------------------------------------------------------------
    @property
    def control(self) -> Input | Select[Any] | Switch:
        return self.query_one(".knob-control")  # type: ignore[return-value]

    def show(self, value: Any) -> None:
        """Put a value into the control without reporting it as an edit."""
        control = self.control
        with control.prevent(Input.Changed, Select.Changed, Switch.Changed):
            if isinstance(control, Switch):
                control.value = bool(value)
            elif isinstance(control, Select):
                control.value = value if value in self.kind.choices else Select.NULL
            else:
                control.value = to_text(value, self.kind)

    def set_message(self, text: str, severity: str = "error") -> None:
        """Mark the field: red border and the message under it for errors, a quieter line for warnings."""
        message = self.query_one(".knob-message", Static)
        message.update(text)
        self.set_class(bool(text) and severity == "error", "-error")
        self.set_class(bool(text) and severity != "error", "-warning")

    def _report(self, value: Any, error: str | None) -> None:
        self.post_message(self.Edited(self, value, error))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            value = parse(event.value, self.knob)
        except FieldError as err:
            self._report(event.value.strip(), str(err))
            return
        if value is UNSET and not self.kind.optional and self.knob.default is None:
            self._report(value, "required: type a value")
            return
        self._report(value, None)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._report(UNSET if event.value is Select.NULL else event.value, None)

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._report(event.value, None)
