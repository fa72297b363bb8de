"""Errors meant for people: one paragraph that says where and what to do, never a traceback."""

from __future__ import annotations

from typing import Any


def place(file: str | None, line: int | None = None) -> str:
    """Where something is, as people and editors read it: ``file:line``, ``file``, or '' when unknown."""
    if file is None:
        return ""
    return f"{file}:{line}" if line else file


class TunedeckError(Exception):
    """A user-facing error. The CLI prints ``str(err)`` and exits 2; the TUI shows it in place.

    ``key`` names the knob to change (dotted, e.g. ``datasets.0.path``), ``file`` and ``line`` where the problem is;
    each is optional. ``str(err)`` is the message after ``file:line:`` when a file is known.
    """

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = place(self.file, self.line)
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self) -> tuple[Any, ...]:  # keeps key/file/line across process boundaries (num_proc workers)
        return (_rebuild, (type(self), self.message, self.key, self.file, self.line))

    def to_json(self) -> dict[str, Any]:
        return {"message": str(self), "file": self.file, "line": self.line, "key": self.key}


def _rebuild(cls: type[TunedeckError], message: str, key: str | None, file: str | None,
             line: int | None) -> TunedeckError:
    return cls(message, key=key, file=file, line=line)
