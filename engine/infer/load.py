"""Loading a model to answer with: the saved tokenizer (the training template), the weights, and for a LoRA
adapter the base under it, so the base's answer is the same model with the adapter switched off."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError

from .fidelity import GENERATION_CONFIG_FILE
from .source import ModelSource, check_can_answer


@dataclass
class LoadedModel:
    source: ModelSource
    model: Any
    tokenizer: Any
    stop_ids: list[int]
    device: str
    base_model: Any = None  # a full fine-tune's base, loaded for compare (an adapter needs none)

    @property
    def can_compare(self) -> bool:
        return self.source.adapter or self.base_model is not None

    @contextmanager
    def answering(self, base: bool = False) -> Iterator[Any]:
        """The model to generate with: the tuned one, or the base (the adapter switched off)."""
        if not base:
            yield self.model
        elif self.source.adapter:
            with self.model.disable_adapter():
                yield self.model
        else:
            self.check_compare()
            yield self.base_model

    def check_compare(self) -> None:
        if not self.can_compare:
            raise TunedeckError(f"{self.source.weights} is a full model from no run, so its base is unknown: "
                                "compare needs a run (its preset names the base) or a LoRA adapter.")


def load_model(source: ModelSource, *, compare: bool = False, trust_remote_code: bool | None = None) -> LoadedModel:
    """Tokenizer and weights for ``source`` on the GPU when there is one; errors say which folder failed and why
    (a reward model is refused before anything loads: it scores, it does not answer)."""
    check_can_answer(source)
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    cfg = _run_config(source)
    remote = bool(cfg.trust_remote_code) if trust_remote_code is None and cfg is not None else bool(trust_remote_code)
    tokenizer = _tokenizer(source.weights, remote)
    if source.adapter:
        model = _adapter_model(source.weights, tokenizer, dtype, remote)
    else:
        model = _pretrained(source.weights, dtype, remote)
    base = None
    if compare and not source.adapter and cfg is not None:
        from engine.train.model import model_source, resize_embeddings

        base = _pretrained(model_source(cfg, source.preset), dtype, remote)
        resize_embeddings(base, tokenizer, cfg.new_token_init_from)
        base.to(device).eval()
    model.to(device).eval()
    return LoadedModel(source, model, tokenizer, _stop_ids(source.weights, tokenizer), device, base)


def _run_config(source: ModelSource) -> Any:
    if source.preset is None:
        return None
    from engine.preset import load_config

    return load_config(source.preset)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(".")


def _tokenizer(weights: str, remote: bool) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(weights, trust_remote_code=remote)
    except Exception as err:
        raise TunedeckError(f"could not load the tokenizer in {weights}: {_first_line(err)}. A run's folders carry "
                            "their tokenizer files; a model folder needs tokenizer.json (or its tokenizer's files)."
                            ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def _pretrained(weights: str, dtype: Any, remote: bool) -> Any:
    from engine.train.model import generating_auto

    try:  # a vision-language model (a processor_type run's base) talks here in text only
        return generating_auto(weights, remote=remote).from_pretrained(weights, dtype=dtype, trust_remote_code=remote)
    except Exception as err:
        raise TunedeckError(f"could not load the model in {weights}: {type(err).__name__}: {_first_line(err)}. Check "
                            "that the folder holds a complete model (config.json and its weights).") from None


def _adapter_model(weights: str, tokenizer: Any, dtype: Any, remote: bool) -> Any:
    from peft import PeftModel

    from engine.train.model import resize_embeddings
    from engine.train.token_init import read_init

    config = json.loads((Path(weights) / "adapter_config.json").read_text(encoding="utf-8"))
    base_name = config.get("base_model_name_or_path")
    if not base_name:
        raise TunedeckError(f"{weights}/adapter_config.json does not say which base model it belongs to.")
    base = _pretrained(base_name, dtype, remote)
    resize_embeddings(base, tokenizer, read_init(weights))  # as training did, for tokens the preset added
    try:
        return PeftModel.from_pretrained(base, weights)
    except Exception as err:
        raise TunedeckError(f"could not load the adapter in {weights} onto {base_name}: {_first_line(err)}.") from None


def _stop_ids(weights: str, tokenizer: Any) -> list[int]:
    """The saved generation config's stop tokens (the training template's end-of-turn tokens), else EOS."""
    path = Path(weights) / GENERATION_CONFIG_FILE
    eos: Any = None
    if path.is_file():
        eos = json.loads(path.read_text(encoding="utf-8")).get("eos_token_id")
    if eos is None:
        eos = tokenizer.eos_token_id
    return [eos] if isinstance(eos, int) else list(eos or [])
