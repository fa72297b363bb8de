"""The live numbers: effective batch as a formula with today's values (or the split derived from a target batch),
the learning rate when it is scaled, steps, warmup, tokens, the evaluation's rows and schedule, mentor warnings.

Also the inverse: type a target effective batch and it proposes gradient_accumulation_steps (the editor applies
it with a key).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from ..state import DataCounts, Live
from .estimate_block import EstimateBlock

if TYPE_CHECKING:
    from engine import derive


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def render_live(live: Live, counts: DataCounts) -> Text:
    """The panel's text. Kept a pure function so the bench can time it."""
    v = live.values
    out = Text()
    if live.bad:
        out.append("Fix ", "bold")
        out.append(", ".join(live.bad), "bold red")
        out.append(" to see the numbers.\n")
        if live.why:
            out.append(f"{live.why}\n", "red")
        return out
    d = live.derived
    assert d is not None
    b = d.batch
    out.append("Effective batch\n", "bold")
    if b.target is None:
        out.append("micro_batch_size × gradient_accumulation_steps × processes\n", "dim")
    else:
        out.append(f"target {b.target}, max micro batch {v.get('max_micro_batch_size') or '?'}: "
                   "micro × accumulation × processes\n", "dim")
    out.append(f"{b.micro_batch_size} × {b.gradient_accumulation_steps} × {b.processes} = ")
    out.append(f"{d.effective_batch}\n", "bold")
    if d.rate_derivation is not None:
        out.append("Learning rate ")
        out.append(f"{d.rate_derivation}\n", "bold")
    out.append("Tokens per optimizer step ≤ ")
    out.append(f"{d.tokens_per_step:,}", "bold")
    from engine import derive  # the numbers come after the first frame: so does this module

    sequences = derive.sequences_per_sample(SimpleNamespace(**v))
    if sequences > 1:
        what = "completion and its KL twin" if v.get("rl") == "kto" else "chosen and rejected"
        out.append(f" ({what}: {sequences} sequences per {'row' if v.get('rl') == 'kto' else 'pair'})", "dim")
    out.append("\n")
    out.append("Data: ")
    streamed = bool(v.get("pretraining_dataset"))
    if streamed:
        out.append("streamed from pretraining_dataset as training reads it: not counted\n", "italic")
    elif counts.error:
        out.append(f"{counts.error}\n", "red")  # what stopped the count, and what to do
    elif counts.counting and counts.rows is None:
        out.append("counting…\n", "italic")
    elif counts.rows is None:
        out.append("not counted yet\n", "dim")
    else:
        out.append(f"{counts.rows:,} rows")
        if counts.eval_rows and counts.train_rows is not None:
            out.append(f" ({counts.train_rows:,} train, {counts.eval_rows:,} eval)")
        out.append(f", {_n(counts.tokens)} tokens")
        if v.get("sample_packing") and counts.packed_sequences is not None:
            out.append(f", {counts.packed_sequences:,} packed")
        out.append(" (counting…)\n" if counts.counting else "\n", "italic")
    if streamed:  # a stream has no length: max_steps is the whole run
        out.append("Steps ")
        out.append(_n(d.total_steps), "bold")
        out.append(" (max_steps; a stream has no epoch count)", "dim")
    else:
        out.append("Steps per epoch ")
        out.append(_n(d.steps_per_epoch), "bold")
        out.append(" · total ")
        out.append(_n(d.total_steps), "bold")
    if v.get("max_steps") and not streamed:
        out.append(" (max_steps)", "dim")
    out.append("\nWarmup steps ")
    out.append(_n(d.warmup_steps), "bold")
    out.append("\n")
    if live.evaluation:
        out.append("Evaluation ")
        out.append(f"{live.evaluation}\n")
    for note in live.warnings:
        out.append("\n⚠ " if note.severity == "warning" else "\nℹ ", "yellow" if note.severity == "warning" else "cyan")
        out.append(f"{note.key}: ", "bold")
        out.append(note.message)
        out.append("\n")
    return out


def render_strip(live: Live) -> Text:
    """One line for narrow terminals."""
    if live.bad:
        return Text(f"live: fix {', '.join(live.bad)}", "red")
    d = live.derived
    assert d is not None
    text = Text()
    text.append(f"batch {d.batch.micro_batch_size}×{d.batch.gradient_accumulation_steps}×{d.processes}=")
    text.append(str(d.effective_batch), "bold")
    text.append(f" · steps/epoch {_n(d.steps_per_epoch)} · total {_n(d.total_steps)} · warmup {_n(d.warmup_steps)}")
    warnings = [n for n in live.warnings if n.severity == "warning"]
    if warnings:
        text.append(f" · ⚠ {len(warnings)} (ctrl+t)", "yellow")
    return text


class LivePanel(VerticalScroll):
    """Numbers + target-batch input + proposal + estimate. Scrolls (arrows, PgDn, End when focused): with warnings
    and the estimate it is taller than its box at 80×24."""

    def compose(self) -> ComposeResult:
        yield Static(id="live-numbers")
        yield Input(placeholder="target effective batch, e.g. 32", id="target-batch", type="integer")
        yield Static(id="target-plan")
        yield EstimateBlock(id="estimate")

    def on_mount(self) -> None:
        self.border_title = "Live"

    def refresh_live(self, live: Live, counts: DataCounts) -> None:
        self.query_one("#live-numbers", Static).update(render_live(live, counts))
        self.update_plan(live)

    def plan(self, live: Live) -> derive.AccumPlan | None:
        text = self.query_one("#target-batch", Input).value.strip()
        if not text.isdigit() or int(text) < 1 or live.bad or live.derived is None:
            return None
        from engine import derive

        return derive.grad_accum_for(int(text), live.derived.batch.micro_batch_size, live.derived.processes)

    def update_plan(self, live: Live) -> None:
        plan = self.plan(live)
        target = self.query_one("#target-plan", Static)
        if plan is None:
            target.update(Text("Type a target batch to get gradient_accumulation_steps.", "dim"))
        else:
            text = Text()
            text.append(f"→ gradient_accumulation_steps = {plan.gradient_accumulation_steps}", "bold")
            text.append(f" (batch {plan.effective_batch}); ctrl+g applies")
            target.update(text)
