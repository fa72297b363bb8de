"""The run screen's sample answers (``sample_answers``): each prompt once, its reference answer, then the model's
answer at every evaluation, oldest first, so the user watches the answers improve; each evaluation's scores on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape

from engine.runs.view import number
from tui.formatting import format_number
from tui.widgets.scroll_text import ScrollText

PROMPT_TAIL = 240  # characters of a rendered prompt shown: its end holds the question (a system prompt comes first)


def _one_line(text: str) -> str:
    return escape(text.replace("\n", " ⏎ ").strip())


def _scores(event: dict[str, Any]) -> str:
    parts = [f"{name} {format_number(number(event.get(key)))}" for key, name in
             (("perplexity", "perplexity"), ("chrf", "chrF")) if number(event.get(key)) is not None]
    return " · ".join(parts) or "no scores"


def samples_markup(events: Sequence[dict[str, Any]]) -> str:
    """The "samples" events as Rich markup, grouped by prompt."""
    if not events:
        return "[dim]No sample answers yet: they come at each evaluation when sample_answers is set.[/]"
    lines = ["[b]Scores[/b]"] + [f"  step {event.get('step')}: {_scores(event)}" for event in events]
    prompts: dict[str, tuple[str, list[tuple[Any, str]]]] = {}  # prompt -> (reference, [(step, answer)])
    for event in events:
        for sample in event.get("samples") or []:
            prompt = str(sample.get("prompt", ""))
            reference, answers = prompts.setdefault(prompt, (str(sample.get("reference", "")), []))
            answers.append((event.get("step"), str(sample.get("answer", ""))))
    for n, (prompt, (reference, answers)) in enumerate(prompts.items(), 1):
        shown = prompt if len(prompt) <= PROMPT_TAIL else "…" + prompt[-PROMPT_TAIL:]
        lines += ["", f"[b]{n}.[/b] [dim]prompt: {_one_line(shown)}[/]",
                  f"   [green]reference: {_one_line(reference) or '(none)'}[/]"]
        lines += [f"   step {step}: {_one_line(answer)}" for step, answer in answers]
    return "\n".join(lines)


class SamplesPane(ScrollText):
    """The sample answers of a run (``show``); focus it to scroll (arrows, PgUp/PgDn, Home, End)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(samples_markup([]), id=id, classes=classes)
        self.shown_count = 0

    def show(self, events: Sequence[dict[str, Any]]) -> None:
        if len(events) == self.shown_count:
            return  # nothing new: leave the reader's text (and place) alone
        self.shown_count = len(events)
        self.update(samples_markup(events))
