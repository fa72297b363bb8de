"""Small live widgets of the run screen: a progress line and labelled sparklines (loss, learning rate, a preference
run's rewards)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label, Sparkline

from engine.runs.view import RunView
from tui.formatting import format_duration, format_number

# The preference metrics trl reports (step fields, see engine.train.preference_metrics), charted one per line in
# this order: (field, title, the mark beside the latest value). DPO-like runs have accuracy, KTO has KL.
PREFERENCE_CHARTS = (
    ("rewards_margin", "margin", "max"),
    ("rewards_accuracy", "accuracy", "max"),
    ("rewards_chosen", "chosen", "max"),
    ("rewards_rejected", "rejected", "min"),
    ("kl", "KL", "max"),
)


def progress_text(view: RunView, status: str, width: int, estimate: str = "", took: float | None = None) -> Text:
    """Two lines: a bar with step/total and percent, then epoch, ETA (or ``took``: an ended run's wall time),
    ``estimate`` (the pre-launch time estimate, shown beside them), tokens/s."""
    fraction = view.fraction
    total = view.total_steps
    counts = f" {view.step}/{total}" if total else f" step {view.step}"
    percent = f" {fraction * 100:3.0f}%" if fraction is not None else ""
    bar_width = max(4, width - len(counts) - len(percent))
    filled = round((fraction or 0.0) * bar_width)
    colour = {"failed": "red", "stopped": "yellow", "finished": "green"}.get(status, "cyan")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("━" * filled, style=colour)
    text.append("━" * (bar_width - filled), style="grey35")
    text.append(counts + percent + "\n")
    parts = []
    if view.epoch is not None:
        epochs = f"/{format_number(view.num_epochs, 3)}" if view.num_epochs else ""
        parts.append(f"epoch {view.epoch:.2f}{epochs}")
    if status in ("running", "starting", "stopping…"):
        parts.append(f"ETA {format_duration(view.eta_seconds)}")
    elif took is not None:
        parts.append(f"took {format_duration(took)}")
    if parts and estimate:
        parts.append(estimate)
    if view.tokens_per_second is not None:
        parts.append(f"{view.tokens_per_second:,.0f} tok/s")
    text.append(" · ".join(parts) or "waiting for the first step…", style="dim" if not parts else "")
    return text


class ProgressLine(Widget):
    """Step/total bar plus epoch, ETA and throughput; call :meth:`show`."""

    DEFAULT_CSS = "ProgressLine { height: 2; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._view = RunView()
        self._status = "starting"
        self._estimate = ""
        self._took: float | None = None

    def show(self, view: RunView, status: str, estimate: str = "", took: float | None = None) -> None:
        self._view, self._status, self._estimate, self._took = view, status, estimate, took
        self.refresh()

    def render(self) -> Text:
        return progress_text(self._view, self._status, self.size.width or 40, self._estimate, self._took)


class MetricChart(Widget):
    """A label with the latest value above a sparkline of the series."""

    DEFAULT_CSS = """
    MetricChart { height: 2; }
    MetricChart > Label { width: 1fr; height: 1; color: $text-muted; }
    MetricChart > Sparkline { height: 1; }
    MetricChart.-inline { height: 1; layout: horizontal; }
    MetricChart.-inline > Label { width: auto; min-width: 16; padding-right: 1; }
    MetricChart.-inline > Sparkline { width: 1fr; }
    """
    def __init__(self, title: str, *, mark: str = "min", id: str | None = None, classes: str | None = None) -> None:
        """``mark``: "min" (loss: the best so far) or "max" (learning rate: the peak) is shown beside the latest.
        With the class ``-inline`` the label and the sparkline share one line, and the mark is left out."""
        super().__init__(id=id, classes=classes)
        self.title = title
        self.mark = mark

    def compose(self) -> ComposeResult:
        yield Label(f"{self.title} –")
        yield Sparkline([])

    def show(self, values: Sequence[float], latest: float | None, extra: str = "") -> None:
        label = f"{self.title} {format_number(latest)}"
        if values and not self.has_class("-inline"):
            label += f"  ({self.mark} {format_number(min(values) if self.mark == 'min' else max(values))})"
        self.query_one(Label).update(label + extra)
        sparkline = self.query_one(Sparkline)
        sparkline.data = list(values)  # a fresh list, so the reactive sees a change
        sparkline.visible = bool(values)  # an empty sparkline would draw a flat line, as if the values were low


def pack_items(items: Sequence[str], width: int, separator: str = " · ") -> str:
    """Join items into lines no wider than ``width``, breaking only between items."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(separator) + len(item) <= width:
            lines[-1] += separator + item
        else:
            lines.append(item)
    return "\n".join(lines)


class DetailsLine(Widget):
    """Short facts (eval loss, checkpoints, grad norm) packed into lines, never broken inside a fact."""

    DEFAULT_CSS = "DetailsLine { height: 2; color: $text-muted; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[str] = []
        self.placeholder = "no eval or checkpoint yet"

    def show(self, items: Sequence[str]) -> None:
        self.items = list(items)
        self.refresh()

    def render(self) -> Text:
        if not self.items:
            return Text(self.placeholder, style="dim")
        return Text(pack_items(self.items, self.size.width or 80), no_wrap=True, overflow="ellipsis")
