"""Ask before launching into an output_dir that already holds a run's results: resume, a new folder, or cancel.

The facts come from engine.runs.output_dir (``LaunchQuestion``); this screen only words them and offers the
choices that make sense: Resume when the folder holds this preset's checkpoint, Replace when it holds a final
model or another preset's checkpoints, Start fresh (always), Cancel (always).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label
from textual.widgets.button import ButtonVariant

from engine.runs.output_dir import LaunchQuestion
from tui.screens.facts_dialog import FACTS, FactsDialog


def question_text(question: LaunchQuestion) -> str:
    """The facts, one sentence each."""
    existing = question.existing
    where = existing.output_dir
    lines = []
    if existing.live is not None:
        lines.append(f"Run {existing.live.run_id} is still {existing.live.status} in {where}: a second run there "
                     "would overwrite its checkpoints.")
    elif existing.resumable_here is not None:
        ckpt = existing.resumable_here
        status = existing.owner.status if existing.owner else "unknown"
        lines.append(f"{where} holds {ckpt.name} of this preset ({existing.owner_text()}, {status}). "
                     + (f"That run finished: Resume trains only past step {ckpt.step}, so only if the preset now "
                        "asks for more steps (a larger num_epochs or max_steps); otherwise it ends at once."
                        if status == "finished" else f"Resume continues from step {ckpt.step}."))
        if existing.final_model:
            lines.append(f"It also holds {existing.final_model_text()}, which the resumed run replaces when it "
                         "finishes.")
    else:
        if existing.final_model:
            lines.append(f"{where} holds {existing.final_model_text()}; a new run there replaces it.")
        if existing.resumable is not None:
            lines.append(f"{where} holds {existing.resumable.name}, made by {existing.owner_text()}: training "
                         "there starts at step 0, and save_total_limit may delete those checkpoints.")
    lines += [f"{c.why_skipped()} is skipped." for c in existing.skipped]
    lines.append(f"Start fresh trains from step 0 in {question.fresh_folder}, leaving {where} as it is.")
    return "\n".join(lines)


def choices(question: LaunchQuestion) -> list[str]:
    existing = question.existing
    if existing.live is not None:
        return ["fresh", "cancel"]
    if existing.resumable_here is not None:
        return ["resume", "fresh", "cancel"]
    return ["overwrite", "fresh", "cancel"]


LABELS: dict[str, tuple[str, ButtonVariant]] = {
    "resume": ("Resume (r)", "primary"), "overwrite": ("Replace (o)", "error"),
    "fresh": ("Start fresh (f)", "default"), "cancel": ("Cancel (esc)", "default")}


class LaunchChoice(FactsDialog[str]):
    """Dismisses with "resume", "overwrite", "fresh" or "cancel"."""

    FRAME_LINES = 10  # border, padding, the buttons and their margin
    DEFAULT_CSS = """
    LaunchChoice { align: center middle; }
    #launch-choice-dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
        border: thick $warning 80%; background: $surface;
    }
    #launch-choice-scroll { height: auto; }
    #launch-choice-question { width: 1fr; }
    #launch-choice-buttons { height: 3; margin-top: 1; }
    #launch-choice-buttons Button { width: 1fr; margin: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel"),
        Binding("r", "choose('resume')", "Resume", show=False),
        Binding("o", "choose('overwrite')", "Replace", show=False),
        Binding("f", "choose('fresh')", "Start fresh", show=False),
    ]

    def __init__(self, question: LaunchQuestion) -> None:
        super().__init__()
        self.question = question
        self.offered = choices(question)

    def compose(self) -> ComposeResult:
        with Vertical(id="launch-choice-dialog"):
            with VerticalScroll(id="launch-choice-scroll", classes=FACTS):
                yield Label(question_text(self.question), id="launch-choice-question", markup=False)
            with Horizontal(id="launch-choice-buttons"):
                for choice in self.offered:
                    label, variant = LABELS[choice]
                    yield Button(label, variant=variant, id=choice)

    def on_mount(self) -> None:
        self.query_one(f"#{self.offered[0]}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        if choice in self.offered:
            self.dismiss(choice)
