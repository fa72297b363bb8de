"""When the machines of a multi-node run do not meet: the launcher's failure, in words.

The machines meet before any training process starts: machine 0's launcher opens main_process_port and waits for
the others, which keep trying to reach it, both for at most ``rendezvous_timeout`` seconds (passed to torch as
``--rdzv_conf timeout=N``). When that runs out, torch's launcher ends with a traceback in train.log and no trainer
ever writes an error event; this module reads that traceback and says what happened and what to do. Import-light.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.runs import folder

_TAIL_BYTES = 20000
# torch.distributed.DistNetworkError on a machine that cannot reach machine 0's port
_UNREACHABLE = re.compile(r"client socket has timed out after (\d+)ms while trying to connect to \(([^,]+), (\d+)\)")
# torch.distributed.DistStoreError on machine 0 when not every machine joined
_NOT_JOINED = re.compile(r"Timed out after (\d+) seconds waiting for clients\. (\d+)/(\d+) clients joined")
# accelerate's check on machine 0 before it opens the port
_PORT_TAKEN = re.compile(r"launch distributed communication on port `(\d+)`, but another process is utilizing it")

_RAISE = "to wait longer, raise it (e.g. --set rendezvous_timeout=900)"


def failure_message(log_tail: str, command: str = "") -> str | None:
    """One paragraph for a rendezvous failure found in the end of train.log (``command``: the launch command,
    for the port and timeout it set), or None when it is not one."""
    found = _UNREACHABLE.search(log_tail)
    if found:
        seconds, host, port = _setting(command, "timeout", str(int(found[1]) // 1000)), found[2], found[3]
        return (
            f"This machine could not reach machine 0 at {host}:{port} within the rendezvous_timeout, {seconds} s, "
            "so the multi-node run did not start. Start the same preset on machine 0 (machine_rank 0) too, "
            f"check that main_process_ip and main_process_port name it and that no firewall blocks port {port}; "
            f"{_RAISE} when the machines start minutes apart."
        )
    found = _NOT_JOINED.search(log_tail)
    if found:
        seconds, joined, machines = _setting(command, "timeout", found[1]), found[2], found[3]
        port = _setting(command, "port", "(main_process_port)")
        return (
            f"Machine 0 waited the rendezvous_timeout, {seconds} s, but only {joined} of {machines} machines "
            f"joined on its port {port}, so the multi-node run did not start. Start the same preset "
            "on every other machine, each with its own machine_rank (1 to num_nodes - 1), with main_process_ip "
            f"set to this machine's address that they can reach; {_RAISE} when the machines start minutes apart."
        )
    found = _PORT_TAKEN.search(log_tail)
    if found:
        return (
            f"main_process_port {found[1]} is already in use on machine 0 (another run, or another program), so "
            "the multi-node run did not start. Pick a free port and set the same main_process_port on every "
            "machine (e.g. --set main_process_port=29600)."
        )
    return None


def _setting(command: str, name: str, otherwise: str) -> str:
    """The rendezvous timeout or port as the launch command set them (torch rounds the timeout it reports)."""
    pattern = {"timeout": r"--rdzv_conf[ =]timeout=(\d+)", "port": r"--main_process_port[ =](\d+)"}[name]
    found = re.search(pattern, command)
    return found[1] if found else otherwise


def run_failure_message(run_dir: str | Path) -> str | None:
    """:func:`failure_message` for a run folder's train.log and command."""
    try:
        with open(Path(run_dir) / folder.LOG_FILE, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - _TAIL_BYTES))
            tail = fh.read().decode("utf-8", "replace")
        command = (Path(run_dir) / folder.COMMAND_FILE).read_text(encoding="utf-8")
    except OSError:
        return None
    return failure_message(tail, command)
