"""The one wait of the TUI tests: let the app run until a condition holds, bounded by the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


async def wait_until(pilot: Any, predicate: Callable[[], Any], timeout: float = 60.0) -> bool:
    """Let the app run until ``predicate()`` holds; True then, AssertionError after ``timeout`` seconds.

    Bounded by the clock, not a count of pauses: async handlers chain several messages, workers and subprocesses
    take real time, and on a busy machine a pause returns before they end. A predicate that raises (a widget not
    mounted yet) counts as not yet."""
    end = time.monotonic() + timeout
    while True:
        await pilot.pause()
        try:
            if predicate():
                return True
        except Exception:
            pass
        if time.monotonic() > end:
            raise AssertionError(f"condition not reached in {timeout:.0f} s")
        await pilot.pause(0.02)
