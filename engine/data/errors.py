"""Data errors: a TunedeckError that also carries where (file, line, key), for ``preview --json`` and the TUI."""

from __future__ import annotations

from engine.errors import TunedeckError


class DataError(TunedeckError):
    """Bad training data or dataset settings. ``str(err)`` is the whole message, location included."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None):
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        super().__init__(where + message)
        self._message = message
        self.file = file
        self.line = line
        self.key = key

    def __reduce__(self):  # keep file/line/key across process boundaries (num_proc workers)
        return (_rebuild, (self._message, self.file, self.line, self.key))

    def to_json(self) -> dict:
        return {"message": str(self), "file": self.file, "line": self.line, "key": self.key}


def _rebuild(message: str, file: str | None, line: int | None, key: str | None) -> DataError:
    return DataError(message, file=file, line=line, key=key)


def where(loc: tuple[str, int | None, int]) -> str:
    """'file:line' (or 'file row N' when the format has no lines) for a row location (file, line, row_index)."""
    file, line, index = loc
    return f"{file}:{line}" if line is not None else f"{file} (row {index + 1})"


def row_error(loc: tuple[str, int | None, int], message: str, key: str | None = None) -> DataError:
    """A DataError pointing at one row."""
    file, line, index = loc
    if line is None:
        message = f"row {index + 1}: {message}"
    return DataError(message, file=file, line=line, key=key)


def fields_of(row: dict) -> str:
    """The keys a row (or message) has, quoted, for errors that say what was found instead."""
    return ", ".join(f"'{k}'" for k in row) or "no fields"
