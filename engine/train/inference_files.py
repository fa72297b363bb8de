"""What a run saves so its weights are used later exactly as they were trained: the chat template and stop tokens.

The Trainer saves ``processing_class`` (the tokenizer) into every checkpoint and the final folder; setting its
chat_template to the one the data was rendered with (``engine.infer.fidelity``) makes those files carry it. An
adapter folder gets no generation_config.json from peft, and a full model's would hold the base's EOS only, so
this callback writes one with the template's end-of-turn tokens beside every checkpoint, and ``write_final``
beside the final weights; with new_token_init_from, the mapping goes beside them too (``engine.train.token_init``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback

from engine.infer.fidelity import (
    stop_token_ids,
    training_template,
    write_generation_config,
)

from .token_init import write_init

if TYPE_CHECKING:
    from engine.knobs.config import Config


class InferenceFilesCallback(TrainerCallback):
    def __init__(self, cfg: Config, tokenizer: Any, model: Any) -> None:
        template = training_template(cfg, tokenizer)
        if template is not None:
            tokenizer.chat_template = template
        self.stop_ids = stop_token_ids(cfg, tokenizer, template)
        self.pad_id = tokenizer.pad_token_id
        self.base = getattr(model, "generation_config", None)
        self.init_from = cfg.new_token_init_from

    def write_final(self, output_dir: str | os.PathLike[str]) -> None:
        write_generation_config(output_dir, self.stop_ids, self.pad_id, self.base)
        write_init(output_dir, self.init_from)

    def on_save(self, args, state, control, **kwargs):
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and checkpoint.is_dir():
            write_generation_config(checkpoint, self.stop_ids, self.pad_id, self.base)
            write_init(checkpoint, self.init_from)
