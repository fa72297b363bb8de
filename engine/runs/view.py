"""The one fold of a run's events (events.jsonl, see engine.runs.folder) into what is known about the run.

Every viewer folds through :class:`RunView`: the TUI run screen (the whole history), the runs list and
``tunedeck runs`` (the head and tail of the file, see engine.runs.status), ``attach`` and the headless reporter.
No Textual, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.runs.folder import FINAL_EVENTS

HISTORY = 4096  # points kept per series; longer runs are thinned evenly so the whole run stays visible
# Step fields that are facts about the step, not metrics to keep the latest of.
_STEP_BOOKKEEPING = ("event", "time", "step", "total_steps", "epoch")
PEAK_MEMORY_FIELDS = ("peak_memory_allocated_gib", "peak_memory_reserved_gib")


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


def number(value: Any) -> float | None:
    """A JSON number as float; None for anything else (bools, text, missing)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    found = number(value)
    return int(found) if found is not None else None


@dataclass
class RunView:
    """What the events say about a run, updated event by event (``apply``)."""

    total_steps: int | None = None
    num_epochs: float | None = None
    steps_per_epoch: int | None = None  # the start event's plan
    data: dict[str, int] = field(default_factory=dict)  # the start event's longest_row and tokens_per_epoch
    step: int = 0
    epoch: float | None = None
    # The latest value of every numeric field of the step events (loss, learning_rate, grad_norm,
    # tokens_per_second, eta_seconds, and whatever else the trainer adds, e.g. preference metrics).
    metrics: dict[str, float] = field(default_factory=dict)
    peak_memory: dict[str, float] = field(default_factory=dict)  # PEAK_MEMORY_FIELDS: largest seen so far
    started: bool = False
    started_time: float | None = None
    last_time: float | None = None
    # The history of every numeric step field (metrics' keys): loss and learning rate, a preference run's rewards.
    series: dict[str, Series] = field(default_factory=dict)
    eval_losses: list[tuple[int, float]] = field(default_factory=list)
    # The latest evaluation's other numbers (a preference run's eval_rewards_accuracy, eval_rewards_margin, ...).
    eval_metrics: dict[str, float] = field(default_factory=dict)
    checkpoints: list[tuple[int, str]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)  # "samples" events: answers to sample prompts
    ended_as: str | None = None  # "finished" | "stopped" | "failed" once a final event arrived
    resumed_from_step: int | None = None  # the checkpoint's step when the run resumed one
    command: str | None = None  # the start event's launch command
    error: dict[str, Any] | None = None
    result: dict[str, Any] | None = None  # the finished/stopped event

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        self.last_time = number(event.get("time")) or self.last_time
        if kind == "start":
            self.started = True
            self.started_time = number(event.get("time"))
            self.total_steps = _whole(event.get("total_steps")) or self.total_steps
            self.num_epochs = number(event.get("num_epochs"))
            self.steps_per_epoch = _whole(event.get("steps_per_epoch")) or self.steps_per_epoch
            self.data = {key: found for key in ("longest_row", "tokens_per_epoch")
                         if (found := _whole(event.get(key)))} or self.data
            self.resumed_from_step = _whole(event.get("resumed_from_step")) or None
            self.command = event.get("command") or self.command
        elif kind == "step":
            self._apply_step(event)
        elif kind == "eval":
            loss = number(event.get("eval_loss"))
            if loss is not None:
                self.eval_losses.append((_whole(event.get("step")) or self.step, loss))
            others = {key: number(value) for key, value in event.items() if key.startswith("eval_")}
            self.eval_metrics = {key: v for key, v in others.items() if v is not None and key != "eval_loss"}
        elif kind == "checkpoint":
            self.checkpoints.append((_whole(event.get("step")) or self.step, str(event.get("path", ""))))
        elif kind == "samples":
            self.samples.append(event)
        elif kind in FINAL_EVENTS:
            self.ended_as = FINAL_EVENTS[kind]
            if kind == "error":
                self.error = event
            else:
                self.result = event
            self.step = _whole(event.get("step")) or self.step

    def _apply_step(self, event: dict[str, Any]) -> None:
        self.step = _whole(event.get("step")) or self.step
        self.total_steps = _whole(event.get("total_steps")) or self.total_steps
        self.epoch = number(event.get("epoch"))
        for name, raw in event.items():
            value = number(raw)
            if value is None or name in _STEP_BOOKKEEPING:
                continue
            if name in PEAK_MEMORY_FIELDS:
                self.peak_memory[name] = max(value, self.peak_memory.get(name, value))
            else:
                self.metrics[name] = value
                self.series.setdefault(name, Series()).add(value)

    def apply_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.apply(event)

    def history(self, name: str) -> list[float]:
        """The (thinned) values of step field ``name`` over the run; empty if no step had it."""
        found = self.series.get(name)
        return found.values if found else []

    @property
    def losses(self) -> Series:
        return self.series.get("loss") or Series()

    @property
    def learning_rates(self) -> Series:
        return self.series.get("learning_rate") or Series()

    @property
    def loss(self) -> float | None:
        return self.metrics.get("loss")

    @property
    def learning_rate(self) -> float | None:
        return self.metrics.get("learning_rate")

    @property
    def grad_norm(self) -> float | None:
        return self.metrics.get("grad_norm")

    @property
    def tokens_per_second(self) -> float | None:
        return self.metrics.get("tokens_per_second")

    @property
    def eta_seconds(self) -> float | None:
        return self.metrics.get("eta_seconds")

    def sample_scores(self, key: str) -> list[float]:
        """One score of the "samples" events ("perplexity", "chrf"), evaluation by evaluation."""
        found = (number(event.get(key)) for event in self.samples)
        return [value for value in found if value is not None]

    @property
    def eval_loss(self) -> float | None:
        return self.eval_losses[-1][1] if self.eval_losses else None

    @property
    def fraction(self) -> float | None:
        if not self.total_steps:
            return None
        return min(1.0, self.step / float(self.total_steps))


def fold(events: list[dict[str, Any]]) -> RunView:
    view = RunView()
    view.apply_all(events)
    return view
