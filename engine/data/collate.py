"""Batching for the trainer: pad to the longest sample in the batch (or to a fixed length).

input_ids are padded with the pad id, labels with -100, position_ids with 0 (each pad token then forms its own
one-token "row", which the packed mask keeps apart). With position_ids (packed data) no attention_mask is
produced: transformers derives the block-diagonal mask from position_ids only when attention_mask is None.
Without position_ids an attention_mask (1 = real token) is produced.

Packed batches also carry ``use_cache=False``: transformers only honours packed position_ids when no KV cache is
in play (masking_utils._preprocess_mask_arguments checks ``past_key_values is None``), and a model whose
config says use_cache=True builds a DynamicCache even in training mode -- the rows would then attend to each
other silently. The Trainer calls ``model(**batch)``, so the flag reaches the model.
"""

from __future__ import annotations

from typing import Any

from .tokenized import IGNORE


def make_collator(cfg: Any, tokenizer: Any, pad_to: int | None = None) -> DataCollator:
    """The collator training uses: inputs padded with ``input_pad_id`` (missing_pad_token_strategy), labels -100,
    every batch to ``pad_to`` tokens when given (the trainer's pad_to_sequence_len: batches, not the data)."""
    from .tokenizer import input_pad_id

    return DataCollator(input_pad_id(tokenizer, cfg), pad_to=pad_to)


class DataCollator:
    def __init__(self, pad_token_id: int, pad_to: int | None = None, pad_to_multiple_of: int | None = None):
        self.pad_token_id = pad_token_id  # what input_ids are padded with
        self.pad_to = pad_to
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        length = max(len(f["input_ids"]) for f in features)
        if self.pad_to:
            length = max(length, self.pad_to)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        packed = "position_ids" in features[0]

        def pad(key: str, value: int) -> torch.Tensor:
            return torch.tensor([list(f[key]) + [value] * (length - len(f[key])) for f in features], dtype=torch.long)

        batch: dict[str, Any] = {"input_ids": pad("input_ids", self.pad_token_id), "labels": pad("labels", IGNORE)}
        if packed:
            batch["position_ids"] = pad("position_ids", 0)
            batch["use_cache"] = False
        else:
            batch["attention_mask"] = torch.tensor(
                [[1] * len(f["input_ids"]) + [0] * (length - len(f["input_ids"])) for f in features], dtype=torch.long)
        return batch
