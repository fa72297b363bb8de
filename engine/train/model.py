"""Loading the tokenizer and model the preset names (a causal LM, or for reward_model the same base with a score
head), with quantization and a LoRA adapter when asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.knobs.adapter import target_parameter_names
from engine.knobs.prompt_learning import PROMPT_LEARNING_ADAPTERS
from engine.paths import resolve_path, written_as_path

from .failures import knob_error
from .hardware import Precision
from .lora_parameters import check_target_parameters
from .prompt_learning import add_prompt_learning

if TYPE_CHECKING:
    from engine.knobs.config import Config


def model_source(cfg: Config, preset_path: str | os.PathLike[str] | None, value: str | None = None) -> str:
    """A local folder as an absolute path (so adapter_config.json records where the base lives), else the hub id."""
    value = value or cfg.base_model
    if not value:
        raise knob_error("base_model",
                         "base_model is empty: set it to a Hugging Face model id or a local model folder.")
    path = resolve_path(value, preset_path)
    return str(path.resolve()) if path.exists() else value


def attn_implementation(cfg: Config) -> str:
    """attn_implementation wins (xformers, or a hub kernel this machine cannot run, become sdpa: see
    engine.attention); the legacy booleans flash_attention / sdp_attention come next; default sdpa."""
    import torch

    from engine.attention import attention_plan, kernels_installed

    return attention_plan(cfg, gpu=torch.cuda.is_available(), kernels=kernels_installed()).implementation


def load_tokenizer(cfg: Config, preset_path: str | os.PathLike[str] | None) -> Any:
    """The data helper's ``prepare_tokenizer`` (special tokens, chat template, pad token): the same tokenizer that
    tokenized the data, so ids and labels line up."""
    from engine.data import prepare_tokenizer

    return prepare_tokenizer(cfg, preset_path)


def _quantization_config(cfg: Config, precision: Precision) -> Any:
    from transformers import BitsAndBytesConfig

    if cfg.load_in_4bit or cfg.adapter == "qlora":
        return BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=precision.torch_dtype(),
        )
    if cfg.load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return None


def load_model(cfg: Config, tokenizer: Any, precision: Precision, preset_path: str | os.PathLike[str] | None) -> Any:
    """The base model, embeddings resized for added tokens, wrapped in a LoRA adapter when ``adapter`` is set."""
    from transformers import AutoModelForCausalLM

    quant = _quantization_config(cfg, precision)
    kwargs: dict[str, Any] = dict(
        revision=cfg.revision_of_model, trust_remote_code=cfg.trust_remote_code, dtype=precision.torch_dtype(),
        attn_implementation=attn_implementation(cfg),
    )
    if quant is not None:
        kwargs["quantization_config"] = quant
    if cfg.base_model_config:
        from transformers import AutoConfig

        kwargs["config"] = AutoConfig.from_pretrained(
            model_source(cfg, preset_path, cfg.base_model_config), revision=cfg.revision_of_model,
            trust_remote_code=cfg.trust_remote_code,
        )
    auto: Any = AutoModelForCausalLM
    if cfg.processor_type:  # a vision-language model: its vision tower, projector and language model
        from transformers import AutoModelForImageTextToText

        auto = AutoModelForImageTextToText
    if cfg.reward_model:  # the base with a new score head: one number per sequence, read at its last token
        from transformers import AutoModelForSequenceClassification

        auto, kwargs["num_labels"] = AutoModelForSequenceClassification, 1
    model = auto.from_pretrained(model_source(cfg, preset_path), **kwargs)

    new_token_ids = resize_embeddings(model, tokenizer, cfg.new_token_init_from)
    if tokenizer.pad_token_id is not None:
        model.config.pad_token_id = tokenizer.pad_token_id
        if getattr(model, "generation_config", None) is not None:  # a reward model's score head generates nothing
            model.generation_config.pad_token_id = tokenizer.pad_token_id

    if quant is not None and not cfg.adapter:
        raise knob_error(
            "adapter", "load_in_4bit/load_in_8bit is set but adapter is empty: quantized weights cannot be trained "
            "directly. "
            "Set adapter: qlora (4-bit) or adapter: lora (8-bit), or turn quantization off for a full fine-tune."
        )
    if cfg.adapter in PROMPT_LEARNING_ADAPTERS:
        model = add_prompt_learning(cfg, model, model_source(cfg, preset_path))
    elif cfg.adapter:
        model = add_lora(cfg, model, quantized=quant is not None, new_token_ids=new_token_ids)
    return model


def resize_embeddings(model: Any, tokenizer: Any, init_from: dict[str, str] | None = None) -> list[int]:
    """Grow the embeddings to ``len(tokenizer)`` for tokens the preset added. A new row starts, in the input and
    the output embeddings, at the mean of the rows named for it by ``init_from`` (new_token_init_from), else at
    the mean of all old rows.

    Deterministic on purpose: ``tunedeck merge`` repeats this on a fresh base, and rows the adapter does not
    train (the LM head's, under LoRA) must come out the same as during training.
    """
    import torch

    from .token_init import start_rows

    old, rows = model.get_input_embeddings().num_embeddings, len(tokenizer)
    if rows <= old:
        return []
    starts = start_rows(tokenizer, init_from, old)
    model.resize_token_embeddings(rows, mean_resizing=False)
    with torch.no_grad():
        layers = (model.get_input_embeddings(), model.get_output_embeddings())
        for layer in {id(m): m for m in layers if m is not None}.values():  # once when tied
            if layer.weight.shape[0] >= rows:
                layer.weight[old:rows] = layer.weight[:old].mean(dim=0, keepdim=True)
                for new_id, ids in starts.items():
                    layer.weight[new_id] = layer.weight[ids].mean(dim=0)
    return list(range(old, rows))


def lora_config(cfg: Config, new_token_ids: list[int] | None = None,
                language_linears: list[str] | None = None) -> Any:
    from peft import LoraConfig

    parameters = target_parameter_names(cfg.lora_target_parameters)
    if cfg.lora_target_modules:
        # A list names layers by suffix; a single string is a regex over full module names (PEFT reads both).
        targets: Any = cfg.lora_target_modules if isinstance(cfg.lora_target_modules, str) \
            else list(cfg.lora_target_modules)
    elif cfg.lora_target_linear and language_linears:
        targets = language_linears  # a vision-language model: its language model's layers, not the vision tower
    elif cfg.lora_target_linear:
        targets = "all-linear"
    elif parameters:
        targets = []  # the named tensors only (None would add peft's default layers to them)
    else:
        targets = None  # peft's per-architecture default (q_proj, v_proj for Llama)
    return LoraConfig(
        r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, target_modules=targets,
        target_parameters=parameters or None, bias="none",
        # SEQ_CLS (reward models): peft trains and saves the new score head whole beside the adapter.
        task_type="SEQ_CLS" if cfg.reward_model else "CAUSAL_LM",
        # Rows of tokens the preset added start untrained: let the adapter learn just those rows.
        trainable_token_indices={"embed_tokens": new_token_ids} if new_token_ids else None,
    )


def add_lora(cfg: Config, model: Any, *, quantized: bool, new_token_ids: list[int]) -> Any:
    from peft import get_peft_model, prepare_model_for_kbit_training

    if quantized:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=cfg.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    if cfg.lora_model_dir:  # keep training an adapter trained before (e.g. SFT before DPO): its config, its layers
        from peft import PeftModel

        return PeftModel.from_pretrained(model, trained_adapter(cfg), is_trainable=True)
    parameters = target_parameter_names(cfg.lora_target_parameters)
    if parameters:
        check_target_parameters(model, parameters)
    try:
        linears = language_model_linears(model) if cfg.processor_type else None
        return get_peft_model(model, lora_config(cfg, new_token_ids, linears))
    except ValueError as err:
        if parameters and "nn.Parameter" in str(err):  # e.g. the tensor of a layer lora_target_modules adapts
            raise knob_error("lora_target_parameters", f"peft cannot adapt lora_target_parameters "
                             f"{', '.join(parameters)} as set: {err} Remove the tensor from one of the two "
                             "lists.") from err
        if "target modules" in str(err).lower() or "target_modules" in str(err):
            names = sorted({n.rsplit(".", 1)[-1] for n, _ in model.named_modules() if "proj" in n or "fc" in n})
            raise knob_error(
                "lora_target_modules",
                f"lora_target_modules {cfg.lora_target_modules} matches no layer of this model ({err}). "
                f"Layer names here include: {', '.join(names[:12]) or 'none found'}; or set lora_target_linear: true."
            ) from err
        raise


def generating_auto(source: str, *, remote: bool, revision: str | None = None) -> Any:
    """The auto class that loads ``source`` to generate text: AutoModelForImageTextToText for a vision-language
    model (its config has a vision part: a vision run's base), else AutoModelForCausalLM."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText

    try:
        config = AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=remote)
    except Exception:
        return AutoModelForCausalLM  # its from_pretrained then says what is wrong
    return AutoModelForImageTextToText if getattr(config, "vision_config", None) is not None else AutoModelForCausalLM


def language_model_linears(model: Any) -> list[str]:
    """The full names of a vision-language model's linear layers inside its language model (not the vision tower,
    the projector or the output head): what lora_target_linear adapts there, as Axolotl's examples target."""
    import torch

    return [name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".language_model." in f".{name}." and
            not name.endswith("lm_head")]


def trained_adapter(cfg: Config) -> str:
    """lora_model_dir as peft loads it: a local folder holding adapter_config.json (the launch wrote it absolute),
    else a Hub id. A local folder without one is refused here, naming the knob."""
    value = str(cfg.lora_model_dir)
    source = model_source(cfg, None, value)
    folder = Path(source)
    if (folder.exists() or written_as_path(value)) and not (folder / "adapter_config.json").is_file():
        what = "has no adapter_config.json" if folder.is_dir() else "is not a folder"
        raise knob_error("lora_model_dir", f"lora_model_dir {value!r} {what}: point it at the folder a LoRA run "
                         "saved (its output_dir, or a checkpoint-N inside it), or clear it to start a new adapter.")
    return source


def saved_kind(output_dir: str | os.PathLike[str]) -> str:
    """"adapter" when output_dir holds a LoRA adapter, else "model"."""
    return "adapter" if (Path(output_dir) / "adapter_config.json").exists() else "model"
