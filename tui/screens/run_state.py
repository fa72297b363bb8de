"""Folds a run's events (events.jsonl, see engine.runs.folder) into what the run screen shows. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.runs import folder

HISTORY = 4096  # points kept per series; longer runs are thinned evenly so the whole run stays visible

TERMINAL_EVENTS = {"finished": "finished", "stopped": "stopped", "error": "failed"}


class Series:
    """A bounded history of one metric: when full, every other point is dropped and the stride doubles."""

    def __init__(self, limit: int = HISTORY) -> None:
        self.limit = limit
        self.values: list[float] = []
        self._stride = 1
        self._seen = 0

    def add(self, value: float) -> None:
        if self._seen % self._stride == 0:
            self.values.append(value)
            if len(self.values) > self.limit:
                self.values = self.values[::2]
                self._stride *= 2
        self._seen += 1

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass
class RunView:
    """Everything the screen needs, updated event by event."""

    total_steps: int | None = None
    num_epochs: float | None = None
    step: int = 0
    epoch: float | None = None
    loss: float | None = None
    learning_rate: float | None = None
    grad_norm: float | None = None
    tokens_per_second: float | None = None
    eta_seconds: float | None = None
    started_time: float | None = None
    last_time: float | None = None
    losses: Series = field(default_factory=Series)
    learning_rates: Series = field(default_factory=Series)
    eval_losses: list[tuple[int, float]] = field(default_factory=list)
    checkpoints: list[tuple[int, str]] = field(default_factory=list)
    ended_as: str | None = None  # "finished" | "stopped" | "failed" once a terminal event arrived
    resumed_from_step: int | None = None  # the checkpoint's step when the run resumed one
    error: dict[str, Any] | None = None
    result: dict[str, Any] | None = None  # the finished/stopped event

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        self.last_time = _num(event.get("time")) or self.last_time
        if kind == "start":
            self.started_time = _num(event.get("time"))
            self.total_steps = event.get("total_steps") or self.total_steps
            self.num_epochs = _num(event.get("num_epochs"))
            self.resumed_from_step = int(event.get("resumed_from_step") or 0) or None
        elif kind == "step":
            self.step = int(event.get("step") or self.step)
            self.total_steps = event.get("total_steps") or self.total_steps
            self.epoch = _num(event.get("epoch"))
            for name in ("loss", "learning_rate", "grad_norm", "tokens_per_second", "eta_seconds"):
                value = _num(event.get(name))
                if value is not None:
                    setattr(self, name, value)
            if _num(event.get("loss")) is not None:
                self.losses.add(float(event["loss"]))
            if _num(event.get("learning_rate")) is not None:
                self.learning_rates.add(float(event["learning_rate"]))
        elif kind == "eval":
            loss = _num(event.get("eval_loss"))
            if loss is not None:
                self.eval_losses.append((int(event.get("step") or self.step), loss))
        elif kind == "checkpoint":
            self.checkpoints.append((int(event.get("step") or self.step), str(event.get("path", ""))))
        elif kind in TERMINAL_EVENTS:
            self.ended_as = TERMINAL_EVENTS[kind]
            if kind == "error":
                self.error = event
            else:
                self.result = event
                self.step = int(event.get("step") or self.step)

    def apply_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.apply(event)

    @property
    def eval_loss(self) -> float | None:
        return self.eval_losses[-1][1] if self.eval_losses else None

    @property
    def fraction(self) -> float | None:
        if not self.total_steps:
            return None
        return min(1.0, self.step / float(self.total_steps))


def read_command(run_dir: Path) -> str:
    try:
        return (run_dir / folder.COMMAND_FILE).read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return ""


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def format_number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.{digits}g}"
