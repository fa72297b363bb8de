"""Merge a trained LoRA adapter into its base model: a standalone model folder that needs no peft to load.

The base is always reloaded unquantized (float32, or bf16/fp16 when asked), even after QLoRA: merging into 4-bit
weights would round the adapter's update away. The adapter was trained against the 4-bit weights, so the merged
model's outputs differ from the 4-bit training model's by the quantization error, not by the adapter.

A reward model's adapter (task SEQ_CLS, saved with its whole score head) is merged into the base loaded as a
sequence-classification model with as many outputs as the saved head has: the result scores as base + adapter
does, and records the pad token it reads the last real token by.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError
from engine.infer.fidelity import GENERATION_CONFIG_FILE
from engine.runs import folder

from .prompt_learning import PROMPT_LEARNING_PEFT_TYPES

DTYPES = ("auto", "float32", "bfloat16", "float16")


def find_adapter(source: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    """(adapter folder, the run's output_dir and trust_remote_code, or {}) for an adapter folder, an output_dir or a
    run folder."""
    path = Path(source).expanduser().resolve()
    preset: dict[str, Any] = {}
    if (path / folder.PRESET_FILE).is_file():  # a run folder: its finished event says where the adapter went
        from engine.preset import load_preset

        # Read as every preset is (round-trip): a tag (!custom) or a key tunedeck does not know is just kept.
        run_preset = load_preset(path / folder.PRESET_FILE)
        preset = {key: run_preset.get(key) for key in ("output_dir", "trust_remote_code")}
        finished = [e for e in folder.read_events(path) if e.get("event") == "finished"]
        if finished and finished[-1].get("adapter_dir"):
            path = Path(finished[-1]["adapter_dir"])
        elif finished and finished[-1].get("model_dir"):
            raise TunedeckError(f"{source} trained a full model (no adapter): {finished[-1]['model_dir']} is already "
                                "a complete model, there is nothing to merge.")
        elif preset.get("output_dir"):
            path = Path(preset["output_dir"]).expanduser().resolve()
    if not (path / "adapter_config.json").is_file():
        raise TunedeckError(
            f"no LoRA adapter in {path} (adapter_config.json is missing). Give the run folder or the output_dir of "
            "a run trained with adapter: lora or qlora (a finished run; checkpoint-N folders work too)."
        )
    return path, preset


def score_outputs(adapter_dir: Path) -> int:
    """How many numbers the score head saved beside a SEQ_CLS adapter puts out (1 for a reward model)."""
    from safetensors import safe_open

    weights = adapter_dir / "adapter_model.safetensors"
    if weights.is_file():
        with safe_open(str(weights), "pt") as saved:
            for name in saved.keys():  # noqa: SIM118 (safe_open is no mapping)
                if name.endswith(("score.weight", "classifier.weight")):
                    return int(saved.get_slice(name).get_shape()[0])
    raise TunedeckError(f"{adapter_dir} holds a sequence-classification (reward model) adapter, but no score head "
                        "is saved beside it (adapter_model.safetensors has no score.weight), so there is nothing "
                        "to score with after merging. Merge the run's final output_dir, which training saves whole.")


def resolve_dtype(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    if name not in DTYPES:
        raise TunedeckError(f"--dtype {name!r}: use one of {', '.join(DTYPES)}.")
    return getattr(torch, name)


def merge_adapter(source: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
                  dtype: str = "float32", trust_remote_code: bool | None = None) -> Path:
    """Write base + adapter merged into ``out`` (default: ``<adapter folder>/merged``) and return it."""
    adapter_dir, preset = find_adapter(source)  # before the heavy imports: a wrong folder fails at once
    info = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if info.get("peft_type") in PROMPT_LEARNING_PEFT_TYPES:
        raise TunedeckError(
            f"{adapter_dir} holds a {info['peft_type'].lower()} adapter (virtual tokens in front of every input), "
            "which cannot be merged: it adds no weights to fold into the base model. Use the adapter as it is "
            "(tunedeck chat and generate load it onto its base), or train adapter: lora to get a mergeable model."
        )
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .model import generating_auto, resize_embeddings
    from .token_init import read_init

    base = info.get("base_model_name_or_path")
    if not base:
        raise TunedeckError(f"{adapter_dir / 'adapter_config.json'} does not say which base model it belongs to "
                            "(base_model_name_or_path is empty).")
    remote = bool(preset.get("trust_remote_code")) if trust_remote_code is None else trust_remote_code
    out_dir = Path(out).expanduser().resolve() if out else adapter_dir / "merged"
    scores = info.get("task_type") == "SEQ_CLS"  # a reward model: the base with the saved score head
    auto: Any = AutoModelForSequenceClassification if scores else generating_auto(
        base, remote=remote, revision=info.get("revision"))
    head = {"num_labels": score_outputs(adapter_dir)} if scores else {}
    try:
        model = auto.from_pretrained(
            base, revision=info.get("revision"), dtype=resolve_dtype(dtype), trust_remote_code=remote, **head)
    except OSError as err:
        raise TunedeckError(f"could not load the base model {base!r} named in the adapter's config: "
                            f"{str(err).splitlines()[0]}. Make sure it is on this machine (or in the HF cache)."
                            ) from None
    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)  # the training tokenizer, added tokens included
    resize_embeddings(model, tokenizer, read_init(adapter_dir))  # the LM head's new rows as training started them
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    if scores and tokenizer.pad_token_id is not None:  # as training set it: batches are scored at the last real token
        merged.config.pad_token_id = tokenizer.pad_token_id
    elif (adapter_dir / GENERATION_CONFIG_FILE).is_file():  # the template's stop tokens, saved by training
        from transformers import GenerationConfig

        merged.generation_config = GenerationConfig.from_pretrained(adapter_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    if (adapter_dir / "processor_config.json").is_file():  # a vision run's image processor goes with the model
        from transformers import AutoProcessor

        AutoProcessor.from_pretrained(adapter_dir).save_pretrained(out_dir)
    return out_dir
