"""Evaluation & saving knobs: held-out data, how often to measure it, and checkpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator

from .base import Section, knob
from .datasets import DatasetConfig

S = Section.EVALUATION

Strategy = Literal["no", "steps", "epoch"]
# What an evaluation reports (trl's SFTTrainer: the loss plus token accuracy and entropy), without "eval_".
EVAL_METRICS = ("loss", "mean_token_accuracy", "entropy")


def has_validation(cfg: Any) -> bool:
    """Whether the run has validation rows: a val_set_size split or test_datasets."""
    return bool(cfg.val_set_size) or bool(cfg.test_datasets)


class EvaluationKnobs(BaseModel, defer_build=True):
    val_set_size: float = knob(
        0.0, section=S, shapes_data=True, basic=True, ge=0,
        summary="Held-out validation data: a fraction (< 1) or a row count (>= 1); 0 means none.",
        what="Sets aside part of the training data, never trained on, to measure the validation loss and "
        "spot overfitting. Below 1 it is a fraction of the rows (0.05 = 5%); 1 or more is a whole number of "
        "rows. 0 turns evaluation off.",
        cost="Those rows no longer train the model, and every evaluation pass costs time. Without it you "
        "cannot see overfitting or save the best checkpoint.",
        typical="0.02–0.1, or a few hundred rows on big datasets; 0 for tiny datasets where every row counts.",
        interacts=("evals_per_epoch", "eval_steps", "eval_strategy", "save_strategy", "seed", "adapter"),
    )
    test_datasets: list[DatasetConfig] = knob(
        default_factory=list, section=S, shapes_data=True,
        summary="Separate evaluation data: entries shaped like datasets:, used instead of a val_set_size split.",
        what="A list of data sources read exactly like datasets: (path, type and that type's settings), "
        "tokenized the same way and used as the whole validation set; no training row is held out. With rl or "
        "reward_model, they hold pairs (or KTO rows) in the type datasets use. Use it "
        "when you already have a validation file (H2O LLM Studio's validation_dataframe, turbo-alignment's "
        "val_dataset_settings). Leave val_set_size at 0 with it: Axolotl refuses both at once.",
        cost="Each evaluation is a pass over these rows; they are never trained on.",
        typical="Empty; one validation file of a few hundred rows in the training data's format.",
        interacts=("val_set_size", "datasets", "evals_per_epoch", "eval_steps", "save_strategy"),
    )
    eval_strategy: Strategy | None = knob(
        None, section=S,
        summary="When to evaluate: no, steps or epoch (default: from eval_steps / evals_per_epoch).",
        what="no: never; steps: every eval_steps optimizer steps; epoch: at each epoch's end. Left empty it "
        "follows eval_steps or evals_per_epoch, and with neither set it evaluates once per epoch when "
        "there is a validation set.",
        cost="Each evaluation costs a pass over the validation set.",
        typical="Empty; set eval_steps or evals_per_epoch instead.",
        interacts=("eval_steps", "evals_per_epoch", "val_set_size"),
    )
    eval_steps: float | None = knob(
        None, section=S, gt=0,
        summary="Evaluate every N optimizer steps (a value < 1 is a fraction of all steps).",
        what="Runs an evaluation every N optimizer steps; a value below 1 means that fraction of the whole "
        "run (0.1 = ten evaluations). Set this or evals_per_epoch, not both.",
        cost="More frequent evaluation gives a finer validation curve at the price of time.",
        typical="50–500 steps, or 0.1–0.25.",
        interacts=("evals_per_epoch", "eval_strategy", "val_set_size", "save_steps"),
    )
    evals_per_epoch: int | None = knob(
        None, section=S, basic=True, ge=0,
        summary="Evaluate this many times per epoch (instead of eval_steps); 0 means no evaluation.",
        what="Spreads this many evaluations evenly over each epoch, so the schedule scales with the data. "
        "0 turns evaluation off, as in Axolotl (the validation rows are still held out). "
        "Set this or eval_steps, not both.",
        cost="Each evaluation is a pass over the validation set.",
        typical="1–4.",
        interacts=("eval_steps", "eval_strategy", "val_set_size", "saves_per_epoch"),
    )
    eval_on_start: bool | None = knob(
        None, section=S,
        summary="Evaluate once before the first training step, as a baseline for the validation curve.",
        what="Runs one evaluation on the validation rows before any weight changes, so the curve starts at "
        "the untouched model's loss and the first real evaluation shows what training changed "
        "(H2O LLM Studio's evaluate_before_training). Needs validation data (val_set_size or test_datasets).",
        cost="One extra pass over the validation set before training starts.",
        typical="Empty (off); on when you want to see the starting point, e.g. to compare with the base model.",
        interacts=("val_set_size", "test_datasets", "eval_steps", "evals_per_epoch"),
    )
    output_dir: str = knob(
        "./model-out", section=S, basic=True,
        summary="Folder for checkpoints, the final model or adapter, and tunedeck's run folders.",
        what="Where everything a run writes lands: checkpoints, the final weights or adapter, the tokenizer, "
        "and tunedeck's run folders (under runs/). Relaunching resumes this preset's checkpoints there; a "
        "finished model, another preset's checkpoints or a live run are never overwritten without asking "
        "(--fresh trains in output_dir-2 instead).",
        cost="Disk space: a full 8B checkpoint with optimizer state is tens of GB; an adapter checkpoint is "
        "tens of MB.",
        typical="./outputs/<preset-name>.",
        interacts=("save_total_limit", "saves_per_epoch", "save_steps", "auto_resume_from_checkpoints"),
    )
    save_strategy: Strategy | Literal["best"] | None = knob(
        None, section=S,
        summary="When to save checkpoints: no, steps, epoch or best (default: from save_steps / saves_per_epoch).",
        what="no: only the final model; steps: every save_steps; epoch: at each epoch's end; best: whenever "
        "metric_for_best_model (e.g. eval_loss) improves (needs evaluation). Left empty it follows save_steps or "
        "saves_per_epoch, else saves once per epoch.",
        cost="Each checkpoint takes disk space and a pause to write it.",
        typical="Empty; set saves_per_epoch or save_steps instead.",
        interacts=("save_steps", "saves_per_epoch", "save_total_limit", "val_set_size", "metric_for_best_model"),
    )
    metric_for_best_model: str | None = knob(
        None, section=S,
        summary="The evaluation metric that decides the best checkpoint (eval_loss; needed by save_strategy best).",
        what="Which number from each evaluation ranks checkpoints: save_strategy best saves when it improves, "
        "and save_total_limit never deletes the best one. tunedeck's evaluation reports eval_loss, "
        "eval_mean_token_accuracy and eval_entropy (the eval_ prefix may be left out). Axolotl requires it "
        "with save_strategy best, so write eval_loss there.",
        cost="None; it only chooses which checkpoint counts as best.",
        typical="eval_loss (lower is better).",
        interacts=("save_strategy", "greater_is_better", "save_total_limit", "val_set_size"),
    )
    greater_is_better: bool | None = knob(
        None, section=S,
        summary="Whether a higher metric_for_best_model is better (default: false for *loss metrics, else true).",
        what="The direction of metric_for_best_model. Left empty it follows the metric's name: lower is "
        "better for a loss, higher for anything else (such as mean_token_accuracy).",
        cost="None; the wrong direction keeps the worst checkpoint as the best.",
        typical="Empty.",
        interacts=("metric_for_best_model", "save_strategy"),
    )
    load_best_model_at_end: bool = knob(
        False, section=S,
        summary="At the end, load the best checkpoint (by metric_for_best_model) and save that as the final model.",
        what="Without it the final model is the last step's weights, whatever the evaluations said. With it the "
        "best checkpoint's weights are loaded back when training ends and become the saved model (what merge, "
        "chat and generate use). tunedeck reads it with save_strategy best, which saves exactly when "
        "metric_for_best_model improves (H2O LLM Studio's save_checkpoint: best).",
        cost="One extra load of a checkpoint at the end; the checkpoints must stay on disk until then "
        "(save_total_limit never deletes the best one).",
        typical="false; true when later epochs may overfit and you want the model from the best evaluation.",
        interacts=("save_strategy", "metric_for_best_model", "val_set_size", "save_total_limit"),
    )
    save_steps: float | None = knob(
        None, section=S, gt=0,
        summary="Save a checkpoint every N optimizer steps (a value < 1 is a fraction of all steps).",
        what="Writes a checkpoint every N optimizer steps; a value below 1 is that fraction of the run. "
        "Set this or saves_per_epoch, not both.",
        cost="Disk space and a pause per checkpoint; too rare and a crash loses more work.",
        typical="100–1000 steps, or 0.1–0.25.",
        interacts=("saves_per_epoch", "save_strategy", "save_total_limit", "eval_steps"),
    )
    saves_per_epoch: int | None = knob(
        None, section=S, basic=True, ge=1,
        summary="Save this many checkpoints per epoch (instead of save_steps).",
        what="Spreads this many checkpoints evenly over each epoch. Set this or save_steps, not both.",
        cost="Disk space per checkpoint; see save_total_limit.",
        typical="1–4.",
        interacts=("save_steps", "save_strategy", "save_total_limit", "evals_per_epoch"),
    )
    save_total_limit: int | None = knob(
        None, section=S, ge=1,
        summary="Keep at most this many checkpoints; older ones are deleted.",
        what="After each save, the oldest checkpoints beyond this count are removed from output_dir "
        "(the best one by metric_for_best_model is kept when that is set).",
        cost="Lower saves disk space but leaves fewer points to go back to.",
        typical="2–5; empty keeps every checkpoint.",
        interacts=("save_steps", "saves_per_epoch", "output_dir"),
    )
    logging_steps: int = knob(
        1, section=S, ge=1,
        summary="Log loss and learning rate every N optimizer steps.",
        what="How often training loss, learning rate and gradient norm are recorded (to the run folder, the "
        "terminal app's charts and W&B).",
        cost="Negligible; very frequent logging makes the loss curve noisier to read but costs almost nothing.",
        typical="1 for short runs; 10 for long ones.",
        interacts=("wandb_project",),
    )
    resume_from_checkpoint: str | None = knob(
        None, section=S, path="file",
        summary="A checkpoint folder to resume training from.",
        what="Restarts a run from a saved checkpoint (e.g. output_dir/checkpoint-500): weights, optimizer "
        "state, learning-rate schedule and data position are restored.",
        cost="None; the preset must match the one that wrote the checkpoint or resuming fails.",
        typical="Empty; a checkpoint-N folder after a crash.",
        interacts=("auto_resume_from_checkpoints", "output_dir"),
    )
    auto_resume_from_checkpoints: bool = knob(
        False, section=S,
        summary="Resume from the newest complete checkpoint in output_dir when one exists.",
        what="When output_dir already holds checkpoints, continue from the newest complete one (a half-written "
        "one is skipped) instead of starting over; handy on machines that get pre-empted. tunedeck's own launches "
        "do this whatever the knob says when the checkpoints are this preset's (`train` says so, the editor asks), "
        "and refuse to start over on top of them; the knob matters for the trainer started by other means.",
        cost="None; but a changed preset resumed onto old checkpoints can fail or mix settings.",
        typical="false; true on spot or pre-emptible machines.",
        interacts=("resume_from_checkpoint", "output_dir", "saves_per_epoch"),
    )

    @field_validator("metric_for_best_model")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is None:
            return value
        name = value.strip()
        if name.removeprefix("eval_") not in EVAL_METRICS:
            raise ValueError(
                f"metric_for_best_model '{value}' is not a metric tunedeck's evaluation reports, so the run would "
                f"stop at its first checkpoint: use eval_loss (or {', '.join('eval_' + m for m in EVAL_METRICS[1:])})"
            )
        return name

    @field_validator("val_set_size")
    @classmethod
    def _whole_rows(cls, value: float) -> float:
        if value >= 1 and value != int(value):
            raise ValueError(
                f"val_set_size {value} is neither a fraction below 1 nor a whole number of rows: "
                f"write a fraction such as 0.05, or a row count such as {int(value)}"
            )
        return value
