"""A dataset example the way the model sees it: trained tokens in one colour, masked ones in another.

Three rendered examples are often taller than the screen (80×24): the text sits in a frame that scrolls (a Static
cannot scroll what it shows), which Tab reaches after the card's buttons and the arrows, PgUp/PgDn, Home and End
scroll."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from engine.commands.preference_export import preference_summary
from engine.data.pair_text import pair_body, pair_heading, pair_legend
from engine.data.summary import cut_rows, data_warnings, dropped_by_reason, mix_note

from ..preview_runner import PreviewResult

TRAINED = "bold green"
MASKED = "dim"


def example_counts(example: dict[str, Any]) -> tuple[int, int, str]:
    """(trained, masked, unit) of one example: tokens, as the engine's preview counts them."""
    trained, masked = example.get("num_trained"), example.get("num_masked")
    if isinstance(trained, int) and isinstance(masked, int):
        return trained, masked, "tokens"
    segments = example.get("segments") or []  # no counts given: say what is shown, in characters
    learned = sum(len(s.get("text", "")) for s in segments if s.get("trained"))
    return learned, sum(len(s.get("text", "")) for s in segments) - learned, "characters"


def render_preview(result: PreviewResult) -> Text:
    out = Text()
    if result.error:
        out.append("Cannot read this dataset\n", "bold red")
        out.append(result.error_text())
        return out
    stats = result.stats
    if stats.get("preference"):
        return _render_pairs(result)
    if isinstance(stats.get("tokens"), int) and isinstance(stats.get("trained_tokens"), int):
        tokens, trained = stats["tokens"], stats["trained_tokens"]
        share = f" ({100 * trained / tokens:.1f}%)" if tokens else ""
        out.append(f"{stats.get('rows', '?'):,} rows · {tokens:,} tokens: " if isinstance(stats.get("rows"), int)
                   else f"{tokens:,} tokens: ")
        out.append(f"{trained:,} trained{share}", TRAINED)
        out.append(", ")
        out.append(f"{tokens - trained:,} masked", MASKED)
        out.append("\n")
    dropped = dropped_by_reason(stats)
    if dropped:
        out.append("dropped: ", "yellow")
        out.append(" · ".join(f"{n:,} {words}" for words, n in dropped) + "\n", "yellow")
    for note in cut_rows(stats):
        out.append(f"{note}\n", "yellow")
    mixed = mix_note(stats)
    if mixed:
        out.append(f"{mixed}\n")
    for warning in data_warnings(stats):
        out.append(f"⚠ {warning}\n", "yellow")
    if not result.examples:
        out.append("No examples (the dataset is empty or every row was dropped).", "yellow")
        return out
    out.append("trained", TRAINED)
    out.append(" · ")
    out.append("masked (context only)", MASKED)
    out.append("\n")
    for i, example in enumerate(result.examples, 1):
        trained, masked, unit = example_counts(example)
        out.append(f"\nexample {i}: ", "bold")
        out.append(f"{trained} trained", TRAINED)
        out.append(f", {masked} masked {unit}\n")
        for segment in example.get("segments") or []:
            out.append(str(segment.get("text", "")), TRAINED if segment.get("trained") else MASKED)
        out.append("\n")
    return out


def _render_pairs(result: PreviewResult) -> Text:
    """Preference data: its summary, then each pair (prompt, chosen, rejected) as ``tunedeck preview`` shows it."""
    out = Text(preference_summary(result.stats) + "\n")
    for warning in data_warnings(result.stats):
        out.append(f"⚠ {warning}\n", "yellow")
    if not result.examples:
        out.append("No pairs (the dataset is empty or every row was dropped).", "yellow")
        return out
    out.append_text(pair_legend())
    out.append("\n")
    for i, example in enumerate(result.examples, 1):
        out.append(f"\n{pair_heading(i, example)}\n", "bold")
        out.append_text(pair_body(example))
    return out


class PreviewView(Static):
    """Shows one dataset's rendered examples (or its error, with file and line), inside its PreviewBox."""

    def on_mount(self) -> None:
        self.update(Text("Press Preview to render 3 examples through the tokenizer.", "dim"))

    def show_running(self) -> None:
        self.update(Text("rendering examples…", "italic"))

    def show_result(self, result: PreviewResult) -> None:
        self.set_class(bool(result.error), "-error")
        for box in self.ancestors:
            if isinstance(box, PreviewBox):
                box.set_class(bool(result.error), "-error")  # the frame turns red too
        self.update(render_preview(result))


class PreviewBox(VerticalScroll):
    """The titled frame of dataset ``index``'s preview: no taller than most of the screen, it scrolls its text."""

    def __init__(self, index: int) -> None:
        super().__init__(id=f"preview-box-{index}", classes="preview-box")
        self.view = PreviewView(id=f"preview-view-{index}", classes="preview-view")

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.border_title = "Preview"
