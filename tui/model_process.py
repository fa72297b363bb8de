"""The chat screen's model process: ``python -m engine.infer.server`` in a child process, spoken to in JSON lines.

The TUI process never imports torch; this class starts the engine's model server, writes requests to its stdin
and hands every line it prints, parsed, to ``on_message`` from a reader thread. When the process ends without
being asked to (a crash, killed for memory), ``on_message`` gets ``{"type": "exited", "returncode", "stderr"}``
with the last lines it wrote to stderr. ``close`` ends it (stdin closed, then terminate, then kill).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
STDERR_LINES = 6


class ModelProcess:
    def __init__(self, source: str, on_message: Callable[[dict[str, Any]], None], *, compare: bool = False) -> None:
        self.source = source
        self.compare = compare
        self.on_message = on_message
        self.closing = False
        self.next_id = 0
        self.proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        command = [sys.executable, "-m", "engine.infer.server", self.source] + (["--compare"] if self.compare else [])
        # A file, never a pipe that could fill up; it lives as long as the process.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self.proc = subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, text=True, encoding="utf-8", bufsize=1)
        threading.Thread(target=self._read, daemon=True, name="tunedeck-model-reader").start()

    def request(self, op: str, messages: list[dict[str, str]], **fields: Any) -> int:
        """Send one request; returns its id (the replies carry it). A dead process is reported by the reader."""
        self.next_id += 1
        line = json.dumps({"id": self.next_id, "op": op, "messages": messages, **fields}) + "\n"
        try:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the reader sees the end of stdout and reports the exit
        return self.next_id

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not protocol: stray output
            if isinstance(message, dict):
                self.on_message(message)
        returncode = self.proc.wait()
        if not self.closing:
            self.on_message({"type": "exited", "returncode": returncode, "stderr": self._stderr_tail()})

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = [line.rstrip() for line in self._stderr.read().splitlines() if line.strip()]
        return "\n".join(lines[-STDERR_LINES:])

    def close(self, timeout: float = 5.0) -> None:
        self.closing = True
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._stderr is not None:
            self._stderr.close()
