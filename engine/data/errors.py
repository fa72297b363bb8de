"""Data errors: a TunedeckError (which carries where: file, line, key) about training data, and row locations."""

from __future__ import annotations

from engine.errors import TunedeckError


class DataError(TunedeckError):
    """Bad training data or dataset settings. ``str(err)`` is the whole message, location included."""


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
