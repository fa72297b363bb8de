"""The live panel's memory and time estimate: the band, a bar of its parts, the verdict against the GPU, what to
change when it does not fit, and the time range once the data is counted. F1 on it explains every part.

The numbers come from engine.estimate (json + math, no torch); the GPU is the preset's target_gpu or this
machine's, found with nvidia-smi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Static

from ..state import DataCounts, EditorState

if TYPE_CHECKING:  # engine.estimate is imported when the first estimate is made, after the first frame
    from engine.estimate.report import Report
    from engine.estimate.setup import Setup

BAR_WIDTH = 30
PART_COLOURS = {
    "weights": "blue", "reference_model": "cyan", "gradients": "magenta", "optimizer": "red",
    "checkpointed_inputs": "yellow", "activations": "yellow", "recomputed_layer": "dark_orange",
    "logits": "green", "cuda_context": "grey50",
}


_SETUPS: dict[tuple[Any, ...], Setup] = {}  # per preset content: model shapes are read from disk once


def _setup(cfg: Any, preset_path: str | None) -> Setup:
    from engine.estimate.from_preset import setup_from_config

    key = (preset_path, *sorted((k, repr(v)) for k, v in cfg.model_dump().items()))
    if key not in _SETUPS:
        if len(_SETUPS) > 64:
            _SETUPS.clear()
        _SETUPS[key] = setup_from_config(cfg, preset_path)
    return _SETUPS[key]


def estimate_for(state: EditorState) -> Report | str:
    """The report for the preset being edited, or a line saying why there is none."""
    from engine.estimate.report import build_report, target_gpu, tokens_per_epoch, with_data
    from engine.estimate.shapes import ShapeError

    if state.errors() or state.field_errors:
        return "Fix the errors to see the memory estimate."
    cfg = state.preset.config
    path = str(state.path) if state.path else None
    try:
        setup = _setup(cfg, path)
    except ShapeError as err:
        return str(err)
    stats = _stats(state.counts)
    return build_report(with_data(setup, cfg, stats), cfg, target_gpu(cfg),
                        tokens_per_epoch(cfg, stats) if stats else None)


def _stats(counts: DataCounts) -> dict[str, Any] | None:
    if counts.tokens is None:
        return None
    return {"tokens": counts.tokens, "rows": counts.rows, "train_rows": counts.train_rows,
            "packed_sequences": counts.packed_sequences, "longest_row": counts.longest_row}


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _length_line(setup: Setup) -> str:
    """Which row length the activations were sized for (one short line)."""
    from engine.estimate.report import batch_len_source

    if batch_len_source(setup) == "longest row":
        return f"Rows padded to the longest: {setup.batch_len} tokens (sequence_len {setup.sequence_len})"
    return f"Rows of sequence_len: {setup.sequence_len} tokens"


def render_estimate(report: Report | str) -> Text:
    from engine.estimate.explain import PART_TEXT
    from engine.estimate.sizes import size_text

    out = Text()
    out.append("Memory per GPU", "bold")
    if isinstance(report, str):
        out.append(f"\n{report}\n", "dim")
        return out
    m = report.memory
    out.append(f"  {m.expected:.1f} GiB", "bold")
    out.append(f" ({m.low:.1f}–{m.high:.1f})\n", "dim")
    total = sum(m.parts.values())
    for key, gib in m.parts.items():
        out.append("█" * max(1, round(BAR_WIDTH * gib / total)) if gib / total >= 0.01 else "", PART_COLOURS[key])
    out.append("\n")
    for key, gib in sorted(m.parts.items(), key=lambda kv: -kv[1])[:4]:
        out.append("■ ", PART_COLOURS[key])
        out.append(f"{PART_TEXT[key][0]} {size_text(gib, 1)}  ")
    out.append("\n")
    out.append(_length_line(report.setup) + "\n", "dim")
    gpu = report.gpu
    if gpu is None:
        out.append("No GPU here: set target_gpu for a verdict.\n", "dim")
    elif report.fits:
        out.append(f"✓ fits {gpu.name} ({gpu.memory_gib:g} GiB)\n", "green")
    else:
        out.append(f"✗ does not fit {gpu.name} ({gpu.memory_gib:g} GiB); try:\n", "bold red")
        for s in report.suggestions[:3]:
            out.append(f"  • {s.text} → {s.expected_gib:.1f} GiB\n")
    if report.time is not None:
        out.append(f"Time ≈ {_duration(report.time.low_s)}–{_duration(report.time.high_s)}\n")
    return out


def explain_estimate(report: Report | str) -> Text:
    """F1's text: every part with its size and what it is."""
    from engine.estimate.explain import PART_TEXT
    from engine.estimate.sizes import size_text

    out = render_estimate(report)
    if isinstance(report, str):
        return out
    out.append("\n")
    for key, gib in report.memory.parts.items():
        label, text = PART_TEXT[key]
        out.append(f"{label}: {size_text(gib)}\n", "bold")
        out.append(text + "\n\n")
    out.append("The band: weights and optimizer states are exact; activations vary with kernels and PyTorch's "
               "caching allocator (-10% to +20%), the CUDA context with driver and GPU.", "dim")
    return out


class EstimateBlock(Static, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "explain", "Explain")]

    report: Report | str = ""

    def on_mount(self) -> None:
        self.border_title = "Will it fit"

    def refresh_estimate(self, state: EditorState) -> None:
        self.report = estimate_for(state)
        self.update(render_estimate(self.report))

    def action_explain(self) -> None:
        from ..screens.estimate_help import EstimateHelpScreen

        self.app.push_screen(EstimateHelpScreen(explain_estimate(self.report)))
