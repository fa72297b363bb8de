"""tunedeck's trainer: trl's SFTTrainer, counting each training step's real tokens for tokens/s (and offloading
activations when the preset asks: engine.train.offload)."""

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
