"""Sample answers at each evaluation (``sample_answers``): the model answers N prompts, written to events.jsonl
beside the reference answers, with a text-overlap score and the perplexity, so a run shows its answers improve.

Prompts come from the validation rows, as token ids training rendered them (so they are in the training template
by construction): the prompt is each row up to its first learned token, the reference is that first learned
stretch (a chat row: the conversation up to the assistant's header, and its first answer). A row learned from its
very start (completion data) is split in half. Or from ``sample_prompts_file``, rendered with the run's template.
The score is chrF (sacrebleu's, 0–100): character n-gram overlap, robust on short answers where BLEU is mostly 0.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from engine.infer.answer import answer_ids, render_prompt
from engine.infer.prompts import read_prompts, with_system_prompt
from engine.infer.settings import InferenceSettings
from engine.runs import folder

if TYPE_CHECKING:
    from engine.knobs.config import Config

IGNORE = -100


def split_row(input_ids: list[int], labels: list[int]) -> tuple[list[int], list[int]]:
    """(prompt ids, reference ids) of a tokenized validation row: up to the first learned token, and the learned
    stretch that follows; a row learned from its start is cut in half."""
    first = next((i for i, label in enumerate(labels) if label != IGNORE), len(labels))
    if first < 2:
        first = max(1, len(input_ids) // 2)
    end = next((i for i in range(first, len(labels)) if labels[i] == IGNORE), len(labels))
    return list(input_ids[:first]), list(input_ids[first:end])


def prompts_from_rows(eval_ds: Any, tokenizer: Any, count: int) -> list[tuple[list[int], str]]:
    out = []
    for row in eval_ds.select(range(min(count, len(eval_ds)))):
        prompt, reference = split_row(row["input_ids"], row["labels"])
        out.append((prompt, tokenizer.decode(reference, skip_special_tokens=True).strip()))
    return out


def prompts_from_file(path: str | os.PathLike[str], tokenizer: Any, settings: InferenceSettings,
                      count: int) -> list[tuple[list[int], str]]:
    special = not getattr(tokenizer, "chat_template", None)
    out = []
    for prompt in read_prompts(path)[:count]:
        text = render_prompt(tokenizer, with_system_prompt(prompt.messages, settings.system_prompt))
        out.append((tokenizer(text, add_special_tokens=special)["input_ids"], prompt.reference or ""))
    return out


def chrf(answers: list[str], references: list[str]) -> float | None:
    """Corpus chrF of the answers against their references (pairs without a reference are left out)."""
    from sacrebleu.metrics import CHRF

    pairs = [(a, r) for a, r in zip(answers, references, strict=False) if r]
    if not pairs:
        return None
    return float(CHRF().corpus_score([a for a, _ in pairs], [[r for _, r in pairs]]).score)


class SamplesCallback(TrainerCallback):
    """After each evaluation, on the main process: answer the prompts, write one "samples" event."""

    def __init__(self, run_dir: Any, prompts: list[tuple[list[int], str]], tokenizer: Any,
                 settings: InferenceSettings, stop_ids: list[int], enabled: bool) -> None:
        self.run_dir = run_dir
        self.prompts = prompts
        self.tokenizer = tokenizer
        self.settings = settings
        self.stop_ids = stop_ids
        self.enabled = enabled

    def on_evaluate(self, args, state, control, model=None, metrics=None, **kwargs):
        if not (self.enabled and self.prompts and model is not None):
            return
        answers = answer_ids(model, self.tokenizer, [p for p, _ in self.prompts], self.settings, self.stop_ids)
        references = [r for _, r in self.prompts]
        loss = (metrics or {}).get("eval_loss")
        perplexity = math.exp(loss) if isinstance(loss, (int, float)) and loss < 50 else None
        samples = [{"prompt": self.tokenizer.decode(p), "reference": r, "answer": a}
                   for (p, r), a in zip(self.prompts, answers, strict=False)]
        folder.append_event(self.run_dir, "samples", step=state.global_step, epoch=state.epoch, eval_loss=loss,
                            perplexity=perplexity, chrf=chrf(answers, references), samples=samples)


def samples_callback(cfg: Config, run_dir: Any, eval_ds: Any, tokenizer: Any, stop_ids: list[int],
                     preset_path: Any, enabled: bool) -> SamplesCallback | None:
    """The callback for ``sample_answers`` (None when off or when nothing is evaluated)."""
    if not cfg.sample_answers or eval_ds is None or "labels" not in eval_ds.column_names:
        return None  # off, nothing evaluated, or rows without learned tokens to split (preference data)
    settings = InferenceSettings.from_config(cfg)
    if cfg.sample_prompts_file:
        from engine.errors import TunedeckError
        from engine.paths import resolve_path

        from .failures import knob_error

        try:
            prompts = prompts_from_file(resolve_path(cfg.sample_prompts_file, preset_path), tokenizer, settings,
                                        cfg.sample_answers)
        except TunedeckError as err:
            raise knob_error("sample_prompts_file", f"sample_prompts_file: {err}") from None
    else:
        prompts = prompts_from_rows(eval_ds, tokenizer, cfg.sample_answers)
    return SamplesCallback(run_dir, prompts, tokenizer, settings, stop_ids, enabled)
