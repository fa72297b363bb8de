"""The training run, start to finish: preset → data → model → SFTTrainer → saved output, reported as events.

Trainer choice: trl's ``SFTTrainer`` with ``skip_prepare_dataset``. Our datasets arrive tokenized with ``labels``
(-100 where not trained) from engine.data; with preparation skipped trl neither re-tokenizes, truncates, filters
nor shuffles them, and its collator pads ``labels`` with -100 and otherwise keeps them as they are, so the trained
tokens are exactly the ones ``tunedeck preview`` shows. Over a plain ``Trainer`` it adds the fused LM head (the
loss only projects trained positions, without building full logits).
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.runs import folder

from .failures import knob_error

if TYPE_CHECKING:
    from engine.knobs.config import Config


@dataclass
class Outcome:
    status: str  # finished | stopped
    step: int
    output_dir: Path
    checkpoint: str | None = None


def load_run_config(run_dir: Path) -> Any:
    preset = run_dir / folder.PRESET_FILE
    from engine.preset import load_config

    return load_config(preset)


def newest_checkpoint(output_dir: str | os.PathLike[str]) -> str | None:
    """The newest complete checkpoint; the half-written ones newer than it are skipped, and the log says which."""
    from engine.runs.checkpoints import newest_complete

    chosen, skipped = newest_complete(output_dir)
    for ckpt in skipped:
        print(f"tunedeck: not resuming from {ckpt.why_skipped()}", flush=True)
    return str(chosen.path) if chosen else None


def resume_point(cfg: Config, preset_path: Path) -> str | None:
    if cfg.resume_from_checkpoint:
        from engine.paths import resolve_path
        from engine.runs.checkpoints import missing_parts

        path = resolve_path(cfg.resume_from_checkpoint, preset_path)
        if not path.is_dir():
            raise knob_error(
                "resume_from_checkpoint", f"resume_from_checkpoint {cfg.resume_from_checkpoint!r} is not a folder: "
                f"point it at a checkpoint-N folder inside output_dir ({cfg.output_dir}), or clear it.",
            )
        missing = missing_parts(path)
        if missing:
            raise knob_error(
                "resume_from_checkpoint", f"resume_from_checkpoint {cfg.resume_from_checkpoint!r} is incomplete "
                f"({', '.join(missing)}; a run that died while saving leaves such a folder): point it at an "
                "earlier checkpoint-N, or clear it.",
            )
        print(f"tunedeck: resuming from {path}", flush=True)
        return str(path)
    if cfg.auto_resume_from_checkpoints:
        return newest_checkpoint(cfg.output_dir)
    return None


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def command_line(run_dir: Path) -> str:
    try:
        return (run_dir / folder.COMMAND_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return " ".join([sys.executable, "-m", "engine.train", *sys.argv[1:]])


def prepare_data(cfg: Config, tokenizer: Any, preset_path: Path, world: int) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(train, eval or None, collator, the data's stats) from engine.data; with several processes the main one fills
    the cache first."""
    from contextlib import nullcontext

    from engine.data import prepare_datasets
    from engine.data.collate import make_collator

    from .data_log import log_data_summary

    if cfg.pretraining_dataset:  # streamed as training reads it: nothing to prepare or count in advance
        from .streamed import streamed_data
        return streamed_data(cfg, tokenizer, preset_path)
    first = nullcontext()
    if world > 1:
        from accelerate import PartialState

        first = PartialState().main_process_first()
    with first:
        prepared = prepare_datasets(cfg, tokenizer, preset_path)
    log_data_summary(prepared.stats)  # kept, dropped by reason, warnings: once, at the top of train.log
    train, evaluation = prepared.train, prepared.eval
    if evaluation is not None and len(evaluation) == 0:
        evaluation = None
    if len(train) == 0:
        raise knob_error("datasets", "No training rows are left after preparing the data (all empty, dropped or "
                         "used for validation): check datasets, sequence_len and val_set_size.")
    from engine.data.vision import is_vision
    if is_vision(cfg):  # the processor makes each batch's pixel values; ids and labels are the prepared ones
        from engine.data.tokenizer import input_pad_id
        from engine.data.vision import VisionCollator, load_processor
        return train, evaluation, VisionCollator(load_processor(cfg, preset_path, tokenizer),
                                                 input_pad_id(tokenizer, cfg)), dict(prepared.stats or {})
    # Pads labels with -100 and keeps them otherwise untouched; packed rows keep their position_ids.
    collator = make_collator(cfg, tokenizer, pad_to=cfg.sequence_len if cfg.pad_to_sequence_len else None)
    return train, evaluation, collator, dict(prepared.stats or {})


def data_facts(cfg: Config, stats: dict[str, Any]) -> dict[str, int]:
    """What the start event tells viewers about the data, for the estimate beside the run's measurements: the
    longest row (batches are padded to it when not packed) and the tokens computed per epoch."""
    from engine.estimate.report import tokens_per_epoch

    facts = {"longest_row": stats.get("longest_row"), "tokens_per_epoch": tokens_per_epoch(cfg, stats)}
    return {key: int(value) for key, value in facts.items() if isinstance(value, int) and value > 0}


def train(run_dir: Path, stop: Any) -> Outcome:
    from engine.data.tokenizer import input_pad_id
    from engine.data.vision import VisionCollator
    from engine.derive import resolved

    from .args import build_sft_config, plan
    from .callbacks import EventsCallback, LogLinesCallback, StopCallback, TokenCounter
    from .hardware import resolve_precision
    from .model import load_model, load_tokenizer
    from .ranks import this_process
    from .tracking import apply_env

    preset_path = run_dir / folder.PRESET_FILE
    cfg = load_run_config(run_dir)
    me = this_process()
    cfg = resolved(cfg, me.world)  # target batch split and scaled learning rate, for the processes really launched
    precision = resolve_precision(cfg)
    resume = resume_point(cfg, preset_path)
    set_seed(cfg.seed)
    apply_env(cfg)

    tokenizer = load_tokenizer(cfg, preset_path)
    train_ds, eval_ds, collator, data_stats = prepare_data(cfg, tokenizer, preset_path, me.world)
    stop.check()
    p = plan(cfg, None if cfg.pretraining_dataset else len(train_ds), me.world)  # a stream has no length
    set_seed(cfg.seed)  # LoRA's initial weights do not depend on how much randomness data preparation used
    model = load_model(cfg, tokenizer, precision, preset_path)
    if cfg.rl:  # preference tuning: trl's trainer for the method (engine.train.preference)
        from .preference import config_for
        args = config_for(cfg, precision, p, has_eval=eval_ds is not None, preset_path=preset_path)
    elif cfg.reward_model:  # a score head trained on pairs (engine.train.reward)
        from .reward import reward_config
        args = reward_config(cfg, precision, p, has_eval=eval_ds is not None, preset_path=preset_path)
    else:
        args = build_sft_config(cfg, precision, p, has_eval=eval_ds is not None, preset_path=preset_path)

    from engine.knobs.batching import offload_target

    from .inference_files import InferenceFilesCallback
    from .offload import offload_for
    from .trainer import TunedeckTrainer

    # first: a checkpoint is whole before it is announced
    inference_files = InferenceFilesCallback(cfg, tokenizer, model)
    stop_cb = StopCallback(stop)
    counter = TokenCounter(input_pad_id(tokenizer, cfg))  # what the collator pads the inputs with
    events_cb = EventsCallback(run_dir, p, command_line(run_dir), enabled=me.machine_main, progress=me.main,
                               counter=counter, data=data_facts(cfg, data_stats))
    if cfg.rl:
        from .preference import build_trainer
        trainer = build_trainer(cfg, model, args, train_ds, eval_ds, tokenizer, [inference_files, events_cb, stop_cb],
                                counter)
    elif cfg.reward_model:
        from .reward import build_reward_trainer
        trainer = build_reward_trainer(model, args, train_ds, eval_ds, tokenizer,
                                       [inference_files, events_cb, stop_cb], counter)
    else:
        trainer = TunedeckTrainer(
            model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tokenizer,
            data_collator=collator, callbacks=[inference_files, events_cb, stop_cb], token_counter=counter,
        )
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # raw dicts: LogLinesCallback prints them readably
    trainer.add_callback(LogLinesCallback())
    from .samples import samples_callback

    samples = samples_callback(cfg, run_dir, eval_ds, tokenizer, inference_files.stop_ids, preset_path, me.main)
    if samples is not None:
        trainer.add_callback(samples)
    _keep_adapter_fp32(trainer, precision)
    if cfg.optimizer == "muon":
        from .muon import use_muon

        use_muon(trainer)
    trainer.activation_offload = offload_for(offload_target(cfg), trainer.model, run_dir)
    stop.check()
    trainer.train(resume_from_checkpoint=resume)
    step = trainer.state.global_step
    output_dir = Path(args.output_dir).resolve()
    if stop_cb.stopped_at is not None:
        checkpoint = Path(args.output_dir) / f"checkpoint-{step}"
        return Outcome("stopped", step, output_dir, str(checkpoint.resolve()) if checkpoint.is_dir() else None)
    if cfg.pretraining_dataset:
        from .streamed import require_all_steps
        require_all_steps(cfg, step)

    trainer.save_model(args.output_dir)  # adapter (or full model) + tokenizer, on the main process
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(args.output_dir)
        if isinstance(collator, VisionCollator):  # the image processor too, so the model can be loaded and run
            collator.processor.save_pretrained(args.output_dir)
        inference_files.write_final(args.output_dir)
    if args.push_to_hub:
        trainer.push_to_hub()
    return Outcome("finished", step, output_dir)


def _keep_adapter_fp32(trainer: Any, precision: Any) -> None:
    """trl casts a quantized model's trainable LoRA weights to bf16 (QLoRA paper). That suits bf16 training only:
    in fp32 (CPU) they would just lose precision and speed, and fp16's loss scaler wants fp32 master weights."""
    if precision.bf16:
        return
    import torch

    for param in trainer.model.parameters():
        if param.requires_grad and param.dtype == torch.bfloat16:
            param.data = param.data.float()
