"""Errors meant for people: one paragraph that says where and what to do, never a traceback."""

from __future__ import annotations


class TunedeckError(Exception):
    """A user-facing error. The CLI prints ``str(err)`` and exits 2; the TUI shows it in place."""

    exit_code = 2
