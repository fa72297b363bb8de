"""Which processes belong to a run, whether any still live, and signalling them. Linux /proc, no psutil.

A run's processes are not all in one process group: torch's elastic launcher (behind accelerate's multi-process
launch) starts every rank in a session of its own. So the launcher puts a marker in the environment, which every
descendant inherits whatever its session: TUNEDECK_RUN_DIR=<run folder>. A run's processes are the live ones
carrying the marker, plus the launcher's own process group (for runs without a marker).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

RUN_ENV = "TUNEDECK_RUN_DIR"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, process group) of a pid from /proc, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    return fields[0], int(fields[2])


def _has_marker(pid: int, marker: bytes) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return marker in environ.split(b"\0")


def run_pids(state: dict[str, Any]) -> list[int]:
    """Live (non-zombie) processes of the run that ``state`` (its state.json) describes."""
    pgid: int | None = state.get("pgid") or state.get("pid")
    marker = f"{RUN_ENV}={state['marker']}".encode() if state.get("marker") else None
    if not Path("/proc/self/stat").exists():  # no /proc: ask the kernel whether the group has anyone
        if pgid is None:
            return []
        try:
            os.killpg(int(pgid), 0)
            return [int(pgid)]
        except (ProcessLookupError, PermissionError, TypeError):
            return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        stat = _proc_stat(int(entry))
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if (pgid and stat[1] == int(pgid)) or (marker and _has_marker(int(entry), marker)):
            pids.append(int(entry))
    return pids


def group_pids(pgid: int) -> list[int]:
    """Live processes of one process group."""
    return run_pids({"pgid": pgid})


def remote(state: dict[str, Any]) -> bool:
    """Launched on another machine (a shared folder): its processes cannot be seen or signalled from here."""
    return bool(state.get("host")) and state["host"] != socket.gethostname()


def run_alive(state: dict[str, Any]) -> bool:
    if remote(state):
        return True  # not provably dead: the events will say when it ends
    return bool(state) and bool(run_pids(state))


def wait_gone(state: dict[str, Any], until: float, poll: float = 0.2) -> bool:
    while time.monotonic() < until:
        if not run_alive(state):
            return True
        time.sleep(poll)
    return not run_alive(state)


def signal_run(state: dict[str, Any], sig: signal.Signals) -> None:
    """Signal every live process of the run (the ranks sit in sessions of their own), then the launcher's group
    too, for children started since the scan: only while the group is seen to hold the run's processes."""
    pgid: int | None = state.get("pgid") or state.get("pid")
    in_group = False
    for pid in run_pids(state):
        stat = _proc_stat(pid)
        in_group |= bool(stat and pgid and stat[1] == int(pgid))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    if in_group and pgid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(pgid), sig)
