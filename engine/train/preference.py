"""Preference tuning (``rl:``): trl's trainer and config for each method, fed the token ids engine.data prepared.

* dpo / ipo: ``DPOTrainer`` (loss_type sigmoid or ipo, beta = rl_beta, label_smoothing = dpo_label_smoothing).
* kto: ``KTOTrainer`` (desirable/undesirable weights); the KL estimate's mismatched completions are built here as
  trl builds them (each batch's completions rotated by one).
* simpo: ``CPOTrainer`` with loss_type simpo (simpo_gamma, cpo_alpha), as Axolotl maps it.
* orpo: ``ORPOTrainer`` with beta = orpo_alpha.

Each trainer's own tokenization is skipped: the ids are exactly those ``preprocess --export`` writes. Inputs are
padded with ``input_pad_id`` (missing_pad_token_strategy: unk-convert-to-eos pads them with EOS while the
tokenizer's pad token stays UNK), as the SFT collator pads them; trl's collators would use the pad token. With an
adapter, DPO/KTO keep the reference inside the same model: trl adds a frozen "ref" copy of the starting adapter
(adapter-sized, no second base model), which for a new adapter (B = 0) is the base with the adapter switched off,
and for ``lora_model_dir`` is the SFT model. In a full fine-tune trl loads a frozen copy of the base.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .args import Plan, sft_kwargs
from .callbacks import TokenCounter
from .hardware import Precision
from .offload import OffloadingStep

if TYPE_CHECKING:
    from engine.knobs.config import Config


def config_for(cfg: Config, precision: Precision, p: Plan, *, has_eval: bool, preset_path: Path | None) -> Any:
    """trl's config for ``cfg.rl``, carrying every Trainer knob SFT runs map (schedule, saving, tracking, hub)."""
    import dataclasses

    cls, own = _config_class(cfg)
    common = sft_kwargs(cfg, precision, p, has_eval=has_eval, preset_path=preset_path)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in common.items() if k in names}
    return cls(**{**kwargs, **own})


def _config_class(cfg: Config) -> tuple[type, dict[str, Any]]:
    beta = {"beta": cfg.rl_beta} if cfg.rl_beta is not None else {}
    if cfg.rl in ("dpo", "ipo"):
        from trl import DPOConfig

        own: dict[str, Any] = {"loss_type": ["ipo" if cfg.rl == "ipo" else "sigmoid"], "max_length": None, **beta}
        if cfg.rl == "dpo" and cfg.dpo_label_smoothing:
            own["label_smoothing"] = cfg.dpo_label_smoothing
        return DPOConfig, own
    if cfg.rl == "kto":
        from trl import KTOConfig

        return KTOConfig, {"max_length": None, "desirable_weight": cfg.kto_desirable_weight or 1.0,
                           "undesirable_weight": cfg.kto_undesirable_weight or 1.0, **beta}
    if cfg.rl == "simpo":
        from trl.experimental.cpo import CPOConfig

        own = {"loss_type": "simpo", "max_length": None, **beta}
        if cfg.simpo_gamma is not None:
            own["simpo_gamma"] = cfg.simpo_gamma
        if cfg.cpo_alpha is not None:
            own["cpo_alpha"] = cfg.cpo_alpha
        return CPOConfig, own
    from trl.experimental.orpo import ORPOConfig

    return ORPOConfig, {"max_length": None, **({"beta": cfg.orpo_alpha} if cfg.orpo_alpha is not None else {})}


def count_pair_tokens(counter: TokenCounter, inputs: dict[str, Any]) -> None:
    """Real tokens of a preference batch: both sequences of each pair (or KTO's completion and its KL twin)."""
    masks = [v for k, v in inputs.items() if k.endswith("attention_mask") and hasattr(v, "sum")]
    counter.tokens += int(sum(int(m.sum()) for m in masks))


def trainer_class(cfg: Config) -> type:
    """A subclass of the method's trl trainer that takes our prepared ids and counts real tokens per step."""
    if cfg.rl in ("dpo", "ipo"):
        from trl import DPOTrainer

        return _reading_our_ids(DPOTrainer)
    if cfg.rl == "kto":
        from trl import KTOTrainer

        return _reading_our_ids(KTOTrainer)
    if cfg.rl == "simpo":
        from trl.experimental.cpo import CPOTrainer

        return _from_our_ids(CPOTrainer)
    from trl.experimental.orpo import ORPOTrainer

    return _from_our_ids(ORPOTrainer)


def pad_inputs_with(trainer: Any, pad_id: int) -> None:
    """Make ``trainer`` pad input ids with ``pad_id``: its collator (DPO/KTO's preference collators, CPO/ORPO's
    DPODataCollatorWithPadding), and the value CPO (pad_token_id) and ORPO (padding_value) pad with when they
    concatenate the chosen and rejected sequences. Attention masks keep padding out either way."""
    trainer.data_collator.pad_token_id = pad_id
    for name in ("pad_token_id", "padding_value"):
        if hasattr(trainer, name):
            setattr(trainer, name, pad_id)


def _reading_our_ids(base: type) -> type:
    """DPOTrainer / KTOTrainer take prompt_ids + answer ids; their own text preparation is skipped."""

    class Trainer(OffloadingStep, base):
        def __init__(self, *args: Any, token_counter: TokenCounter, input_pad_id: int, **kwargs: Any) -> None:
            self.token_counter = token_counter
            super().__init__(*args, **kwargs)
            pad_inputs_with(self, input_pad_id)

        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            if getattr(self, "calculate_KL", False):  # KTO: trl's mismatched pairs, one rotation per batch
                def add_kl(examples: dict[str, list]) -> dict[str, list]:
                    examples["KL_completion_ids"] = [examples["completion_ids"][-1], *examples["completion_ids"][:-1]]
                    return examples

                dataset = dataset.map(add_kl, batched=True, batch_size=args.per_device_train_batch_size)
            return dataset

        def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
            count_pair_tokens(self.token_counter, inputs)
            return super().training_step(model, inputs, num_items_in_batch)

    Trainer.__name__ = f"Tunedeck{base.__name__}"
    return Trainer


def _from_our_ids(base: type) -> type:
    """CPOTrainer / ORPOTrainer tokenize each row in __init__: hand them our ids instead of re-tokenizing."""

    class Trainer(OffloadingStep, base):
        def __init__(self, *args: Any, token_counter: TokenCounter, input_pad_id: int, **kwargs: Any) -> None:
            self.token_counter = token_counter
            super().__init__(*args, **kwargs)
            pad_inputs_with(self, input_pad_id)

        def tokenize_row(self, feature: dict[str, Any], model: Any = None) -> dict[str, Any]:
            prompt = list(feature["prompt_ids"])
            batch: dict[str, Any] = {"prompt_input_ids": prompt, "prompt_attention_mask": [1] * len(prompt)}
            for part in ("chosen", "rejected"):
                answer = list(feature[f"{part}_ids"])
                batch[f"{part}_input_ids"] = prompt + answer
                batch[f"{part}_attention_mask"] = [1] * (len(prompt) + len(answer))
                batch[f"{part}_labels"] = [-100] * len(prompt) + answer
            return batch

        def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> Any:
            count_pair_tokens(self.token_counter,
                              {k: v for k, v in inputs.items() if k.startswith(("chosen_", "rejected_"))})
            return super().training_step(model, inputs, num_items_in_batch)

    Trainer.__name__ = f"Tunedeck{base.__name__}"
    return Trainer


def build_trainer(cfg: Config, model: Any, args: Any, train_ds: Any, eval_ds: Any, tokenizer: Any,
                  callbacks: list[Any], counter: TokenCounter) -> Any:
    """The preference trainer. ORPO/SimPO read the strings' columns too (trl extracts prompts before tokenizing)."""
    from engine.data.tokenizer import input_pad_id

    kwargs: dict[str, Any] = {"model": model, "args": args, "train_dataset": train_ds, "eval_dataset": eval_ds,
                              "processing_class": tokenizer, "callbacks": callbacks, "token_counter": counter,
                              "input_pad_id": input_pad_id(tokenizer, cfg)}
    if cfg.rl in ("simpo", "orpo"):
        kwargs["train_dataset"], kwargs["eval_dataset"] = _with_text(train_ds), _with_text(eval_ds)
    return trainer_class(cfg)(**kwargs)


def _with_text(ds: Any) -> Any:
    """trl's CPO/ORPO map maybe_extract_prompt over prompt/chosen/rejected before tokenize_row: give it empty text
    columns (our tokenize_row reads only the ids)."""
    if ds is None:
        return None
    empty = [""] * len(ds)
    for name in ("prompt", "chosen", "rejected"):
        if name not in ds.column_names:
            ds = ds.add_column(name, empty)
    return ds
