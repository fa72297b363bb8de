"""tunedeck's trainer: trl's SFTTrainer, counting each training step's real tokens for tokens/s (and offloading
activations when the preset asks: engine.train.offload; saying what a resumed stream skips: engine.train.streamed)."""

from __future__ import annotations

from typing import Any

from trl import SFTTrainer

from .callbacks import TokenCounter
from .offload import OffloadingStep


class TunedeckTrainer(OffloadingStep, SFTTrainer):
    def __init__(self, *args: Any, token_counter: TokenCounter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token_counter = token_counter

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
        self.token_counter.add(inputs)
        return super().training_step(model, inputs, num_items_in_batch)

    def get_resumed_dataloader(self, dataloader: Any, num_batches: int) -> Any:
        """transformers' skip of the batches trained before the checkpoint; for a stream (no length), train.log
        says the skip re-reads them (engine.train.streamed)."""
        if not hasattr(self.train_dataset, "__len__") and self.is_world_process_zero():
            from .streamed import skipping_line

            print(skipping_line(num_batches, self.args.per_device_train_batch_size * self.args.world_size), flush=True)
        return super().get_resumed_dataloader(dataloader, num_batches)
