"""The two Axolotl promises, proved on real files.

1. An Axolotl user's config opens in tunedeck: Axolotl's own example configs (verbatim copies in
   tests/fixtures/axolotl/, sources in SOURCES.md there) load with no problems except the few that are right
   for tunedeck (listed per file below, with the reason), every key they carry is either used by tunedeck or
   reported as kept, and editing one knob and saving changes that one line and no other byte.
2. A preset tunedeck writes is valid Axolotl YAML: the shipped presets and presets saved after edits use only
   Axolotl's keys (plus tunedeck's launch knobs, which Axolotl ignores: its config model does not forbid extra
   keys) with values of Axolotl's types, checked by a small transcription of Axolotl's pydantic schema
   (src/axolotl/utils/schemas/config.py, training.py, peft.py, datasets.py, model.py, enums.py and the model
   validators in validation.py) and by the value sets of transformers that Axolotl validates against.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML

from engine.axolotl_keys import AXOLOTL_DATASET_KEYS, AXOLOTL_TOP_LEVEL_KEYS
from engine.errors import TunedeckError
from engine.knobs.base import Section
from engine.knobs.registry import dataset_knobs, top_level_knobs
from engine.preset import load_preset
from engine.preset.unknown_keys import dataset_names, top_level_names

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "axolotl"
AXOLOTL_CONFIGS = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".yml", ".yaml"))
PRESETS = sorted((ROOT / "presets").glob("*.yaml"))

# Errors tunedeck is right to report on Axolotl's examples, by file: {key: why it is correct}.
# (llama3-diffusion-pretrain-1b.yaml streams pretraining_dataset, which tunedeck reads: no error expected.)
EXPECTED_ERRORS: dict[str, dict[str, str]] = {}


def _yaml_keys(path: Path) -> list[str]:
    """Every key of the file as tunedeck paths: top level, and datasets.N.key inside dataset entries."""
    data = YAML(typ="safe").load(path.read_text())
    keys = [str(k) for k in data]
    for i, entry in enumerate(data.get("datasets") or []):
        keys += [f"datasets.{i}.{k}" for k in entry]
    return keys


def _used_by_tunedeck(key: str) -> bool:
    parts = key.split(".")
    if parts[0] == "datasets" and len(parts) == 3:
        return parts[2] in dataset_names()
    return key in top_level_names()


# ---------------------------------------------------------------- 1. Axolotl's configs open in tunedeck


def test_fixtures_are_the_varied_set() -> None:
    assert len(AXOLOTL_CONFIGS) >= 8
    sources = (FIXTURES / "SOURCES.md").read_text()
    for path in AXOLOTL_CONFIGS:
        assert f"| {path.name} | examples/" in sources, f"{path.name} has no source line in SOURCES.md"
    text = "\n".join(p.read_text() for p in AXOLOTL_CONFIGS)
    for feature in ("adapter: qlora", "adapter: lora", "message_property_mappings:", "message_field_role:",
                    "type: completion", "deepspeed: deepspeed_configs/", "fsdp_config:\n  fsdp_",
                    "special_tokens:\n  eos_token", "tokens:\n  - ", "wandb_project: phi3"):
        assert feature in text, f"no fixture covers {feature!r}"


@pytest.mark.parametrize("path", AXOLOTL_CONFIGS, ids=lambda p: p.name)
def test_axolotl_config_loads_with_only_the_expected_errors(path: Path) -> None:
    preset = load_preset(path)
    expected = EXPECTED_ERRORS.get(path.name, {})
    errors = {p.key: p.format() for p in preset.errors}
    assert set(errors) == set(expected), "\n".join(errors.values())
    for key, words in expected.items():
        assert words in errors[key], errors[key]
        assert f"{path}:" in errors[key] or key == "datasets", "an error names the file and line"
    strangers = [p.format() for p in preset.problems if "neither tunedeck nor Axolotl" in p.message]
    assert strangers == [], "an Axolotl example has a key that engine/axolotl_keys.py does not list"
    if not expected:
        _ = preset.config  # validates without raising


@pytest.mark.parametrize("path", AXOLOTL_CONFIGS, ids=lambda p: p.name)
def test_no_key_is_silently_dropped(path: Path) -> None:
    preset = load_preset(path)
    kept = set(preset.kept_keys)
    for key in _yaml_keys(path):
        assert _used_by_tunedeck(key) or key in kept, f"{key} is neither a tunedeck knob nor reported as kept"
    kept_warnings = {p.key for p in preset.warnings if "kept but not used" in p.message}
    assert kept_warnings == kept, "every kept key is shown to the user as a warning on its line"


def test_values_read_as_axolotl_means_them() -> None:
    """Spot checks that tunedeck reads the same meaning out of the files as Axolotl does."""
    gemma3 = load_preset(FIXTURES / "gemma3-1b-qlora.yml").config
    assert gemma3.datasets[0].field_messages == "conversations"
    assert gemma3.datasets[0].message_property_mappings == {"role": "from", "content": "value"}
    assert gemma3.eot_tokens == ["<end_of_turn>"] and gemma3.chat_template == "gemma3"
    assert gemma3.adapter == "qlora" and gemma3.load_in_4bit and gemma3.lora_dropout == 0

    legacy = load_preset(FIXTURES / "llama3-instruct-lora-8b.yml").config
    ds = legacy.datasets[0]
    assert (ds.message_field_role, ds.message_field_content) == ("role", "content")
    assert ds.roles == {"user": ["user"], "assistant": ["assistant"]}
    assert legacy.fp16 is False, "a blank `fp16:` means not set (the default), as in Axolotl"
    assert legacy.special_tokens == {"pad_token": "<|end_of_text|>"}

    fsdp = load_preset(FIXTURES / "llama3-fft-8b-liger-fsdp.yaml").config
    assert fsdp.fsdp_config["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
    assert fsdp.datasets[0].split == "train[:20%]" and fsdp.learning_rate == 2e-5

    phi3 = load_preset(FIXTURES / "phi3-ft-fsdp.yml")
    assert phi3.get("wandb_project") == "phi3"
    assert phi3.get("adapter") is None and phi3.get("lora_r") is None  # blank in the file, so unset
    assert {"adam_beta2", "adam_epsilon", "fsdp", "resize_token_embeddings_to_32x"} <= set(phi3.kept_keys)

    gemma4 = load_preset(FIXTURES / "gemma4-31b-qlora.yaml").config
    assert gemma4.optimizer == "adamw_torch_8bit"
    assert isinstance(gemma4.lora_target_modules, str)  # one regex over full module names, as PEFT reads it
    assert re.fullmatch(gemma4.lora_target_modules, "model.language_model.layers.3.self_attn.q_proj")
    assert not re.fullmatch(gemma4.lora_target_modules, "model.vision_tower.layers.3.self_attn.q_proj")

    qwen3 = load_preset(FIXTURES / "qwen3-32b-qlora.yaml")
    assert qwen3.get("optimizer") == "adamw_torch_4bit"
    assert qwen3.errors == [] and qwen3.config.activation_offloading is True  # gradient_checkpointing: offload

    bigstral = load_preset(FIXTURES / "bigstral-ds-zero3.yaml")
    assert bigstral.get("deepspeed") == "deepspeed_configs/zero3_bf16_cpuoffload_params.json"
    assert bigstral.get("special_tokens") == {"eos_token": "<|im_end|>"}
    assert bigstral.get("tokens") == ["<|im_start|>"]


def test_blank_value_means_default_but_a_blank_dataset_path_is_still_an_error(tmp_path: Path) -> None:
    """Axolotl's examples leave many keys blank (``fp16:``); a blank required value is still reported."""
    target = tmp_path / "blank.yaml"
    target.write_text("base_model: tiny/model\ndatasets:\n  - path:\n    type: completion\nfp16:\nlora_r:\n"
                      "micro_batch_size:\n")
    preset = load_preset(target)
    assert [(p.key, p.line) for p in preset.errors] == [("datasets.0.path", 3)]
    target.write_text(target.read_text().replace("  - path:\n", "  - path: data.jsonl\n"))
    cfg = load_preset(target).config
    assert (cfg.fp16, cfg.lora_r, cfg.micro_batch_size) == (False, 8, 1)  # the knobs' defaults


def _changed_lines(before: str, after: str) -> list[str]:
    """The lines that differ, as difflib shows them ('- old' / '+ new')."""
    return [ln for ln in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True))
            if ln[:2] in ("- ", "+ ")]


# (fixture, knob path, value as the editor passes it (text), the value read back, the new line)
EDITS = [(p.name, "learning_rate", "5e-5", 5e-5, "learning_rate: 5e-5") for p in AXOLOTL_CONFIGS] + [
    ("llama3-qlora.yml", "fp16", "false", False, "fp16: false"),  # a blank value gets one
    ("gemma3-1b-qlora.yml", "datasets.0.split", "test", "test", "    split: test"),  # new key in an entry
    ("llama3-fft-8b-liger-fsdp.yaml", "micro_batch_size", "4", 4, "micro_batch_size: 4"),
]


@pytest.mark.parametrize(("name", "key", "value", "typed", "line"), EDITS,
                         ids=[f"{e[0]}-{e[1]}" for e in EDITS])
def test_set_one_knob_and_save_keeps_every_other_byte(tmp_path: Path, name: str, key: str, value: str,
                                                      typed: Any, line: str) -> None:
    original = (FIXTURES / name).read_text()
    target = tmp_path / name
    target.write_text(original)
    preset = load_preset(target)
    preset.set(key, value)
    preset.save(draft=name in EXPECTED_ERRORS)  # a file with a genuine error is saved as a draft
    saved = target.read_text()

    added = [ln[2:].rstrip("\n") for ln in _changed_lines(original, saved) if ln.startswith("+ ")]
    removed = [ln[2:] for ln in _changed_lines(original, saved) if ln.startswith("- ")]
    assert added == [line]
    assert all(ln.lstrip().startswith(key.split(".")[-1] + ":") for ln in removed) and len(removed) <= 1
    again = load_preset(target)
    assert again.get(key) == typed and type(again.get(key)) is type(typed)
    assert again.kept_keys == load_preset(FIXTURES / name).kept_keys


# ---------------------------------------------------------------- 2. what tunedeck writes is Axolotl YAML

LAUNCH_KNOBS = {"gpus_per_node", "num_nodes", "machine_rank", "main_process_ip", "main_process_port",
                "rendezvous_timeout"}
# The GPU the memory estimate judges the preset against (engine.estimate): Axolotl has no estimate.
ESTIMATE_KNOBS = {"target_gpu"}
# Dataset types of tunedeck's own, for configs imported from other tools: Axolotl has none of them.
TUNEDECK_DATASET_TYPES = {"prompt_answer"}
# peft's prompt-learning adapters (turbo-alignment trains them; Axolotl only LoRA) and the knobs only they read.
TUNEDECK_ADAPTERS = {"prompt_tuning", "p_tuning", "prefix_tuning"}
PROMPT_LEARNING_KNOBS = {"num_virtual_tokens", "prompt_tuning_init_text", "encoder_hidden_size"}
# Keys of tunedeck's own on Axolotl's dataset types, for behaviours of other tools Axolotl lacks (turbo-alignment's
# only_answer_loss and keep_end): Axolotl ignores them.
TUNEDECK_DATASET_KEYS = {"train_last_turn_only", "keep_dialogue_end"}
# Numbers derived from the effective batch at launch (SiloGen's batchsize_conf and overrides): Axolotl has none.
DERIVED_BATCH_KNOBS = {"target_effective_batch_size", "max_micro_batch_size", "lr_batch_size_scaling", "lr_multiplier"}
# SiloGen's choice of token to pad with when the tokenizer has none: Axolotl only sets special_tokens.pad_token.
PAD_TOKEN_KNOBS = {"missing_pad_token_strategy"}
# Where new tokens' embeddings start (turbo-alignment's embeddings_initialization_strategy): Axolotl has only
# mean_resizing_embeddings.
TOKEN_INIT_KNOBS = {"new_token_init_from"}
# Weighted interleaving of the training sources (SiloGen's PRECOMPUTE_WEIGHTED_MIX): Axolotl only concatenates.
MIXING_KNOBS = {"dataset_mixing", "dataset_mixing_seed"}


def test_every_knob_is_an_axolotl_key_or_a_launch_knob() -> None:
    """The registry's Axolotl knobs (and their aliases) are Axolotl's keys; the rest are launch knobs only."""
    # The Generation & evaluation section is tunedeck's own too: how chat, generate and samples answer.
    ours = {k.key for k in top_level_knobs() if not k.axolotl and k.section is not Section.GENERATION}
    assert ours == LAUNCH_KNOBS | DERIVED_BATCH_KNOBS | ESTIMATE_KNOBS | PROMPT_LEARNING_KNOBS | PAD_TOKEN_KNOBS \
        | TOKEN_INIT_KNOBS | MIXING_KNOBS, \
        "a tunedeck-only knob other than the launch, derived-batch, estimate and prompt-learning knobs would not be " \
        "Axolotl YAML"
    for k in top_level_knobs():
        names = {k.key, *k.aliases}
        if k.axolotl:
            assert names <= AXOLOTL_TOP_LEVEL_KEYS, f"{names - AXOLOTL_TOP_LEVEL_KEYS} are not Axolotl keys"
        else:
            assert not names & AXOLOTL_TOP_LEVEL_KEYS
    for k in dataset_knobs():
        names = {k.key, *k.aliases}
        if k.axolotl:
            assert names <= AXOLOTL_DATASET_KEYS, k.key
        else:  # the dataset types tunedeck adds (H2O LLM Studio's prompt/answer frames) read keys of its own
            assert not names & AXOLOTL_DATASET_KEYS, k.key
            assert set(k.dataset_types or ()) <= TUNEDECK_DATASET_TYPES or k.key in TUNEDECK_DATASET_KEYS, k.key


def _literals(annotation: Any) -> set[Any]:
    if typing.get_origin(annotation) is Literal:
        return set(typing.get_args(annotation))
    return set().union(*(_literals(a) for a in typing.get_args(annotation))) if typing.get_args(annotation) else set()


def _axolotl_value_sets() -> dict[str, set[str]]:
    """What Axolotl accepts for the keys tunedeck restricts to a list of names."""
    from transformers import SchedulerType
    from transformers.trainer_utils import HubStrategy
    from transformers.training_args import OptimizerNames

    custom_optimizers = {"optimi_adamw", "ao_adamw_4bit", "ao_adamw_8bit", "ao_adamw_fp8", "adopt_adamw", "muon"}
    return {
        "optimizer": {o.value for o in OptimizerNames} | custom_optimizers,  # training.py
        "lr_scheduler": {s.value for s in SchedulerType} | {"one_cycle", "rex"},  # training.py
        "hub_strategy": {h.value for h in HubStrategy},  # passed to TrainingArguments
        "attn_implementation": {"eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention",
                                "xformers", "sage", "s2", "fp8"},  # enums.CANONICAL_ATTN_IMPLS
        "excess_length_strategy": {"drop", "truncate", "raise"},  # config.py
        "eval_strategy": {"no", "steps", "epoch"},  # IntervalStrategy
        "save_strategy": {"no", "steps", "epoch", "best"},  # SaveStrategy
        "wandb_mode": {"online", "offline", "disabled"},
        "wandb_log_model": {"false", "checkpoint", "end"},
        "adapter": {"lora", "qlora", "llama-adapter"},  # peft.py
        "bf16": {"auto", True, False},
        "activation_offloading": {"legacy", "disk", True, False},  # config.py
        # Axolotl prompt strategies; alpaca:STYLE is AlpacaPrompter's PromptStyle (prompters.py, utils/data/sft.py).
        "datasets.type": {"completion", "input_output", "alpaca", "chat_template", "alpaca:instruct", "alpaca:chat",
                          "alpaca:chatml", "alpaca:phi",
                          "jeopardy",  # utils/data/wrappers.py DATASET_HANDLERS (JeopardyPromptTokenizingStrategy)
                          # preference strategies: prompt_strategies/dpo/chat_template.py, orpo/chat_template.py
                          # and the functions of dpo/chatml.py, dpo/llama3.py, kto/chatml.py, kto/llama3.py
                          "chat_template.default", "chat_template.argilla_chat", "chat_template.argilla",
                          "bradley_terry.chat_template",  # reward models: prompt_strategies/bradley_terry/
                          *(f"{m}.{f}" for m in ("chatml", "llama3")
                            for f in ("default", "argilla_chat", "icr", "intel", "prompt_pairs", "ultra",
                                      "argilla"))},
        "rl": {"dpo", "gdpo", "grpo", "ipo", "orpo", "kto", "simpo", "ebft"},  # enums.RLType
        # schemas/datasets.py: Literal["all", "turn", "last", "none"] (none since Axolotl #3625, May 2026).
        "datasets.train_on_eos": {"all", "turn", "last", "none"},
        "datasets.train_on_eot": {"all", "turn", "last", "none"},
        "datasets.ds_type": {"json", "parquet", "csv", "text", "arrow"},  # datasets.load_dataset builders
    }


def test_every_named_value_tunedeck_offers_is_accepted_by_axolotl() -> None:
    axolotl = _axolotl_value_sets()
    checked = set()
    for k in [*top_level_knobs(), *dataset_knobs()]:
        path = f"datasets.{k.key}" if k.parent else k.key
        values = _literals(k.annotation)
        if path == "datasets.type":  # tunedeck's own types say so in their teaching text; Axolotl has none
            values -= TUNEDECK_DATASET_TYPES
        if path == "adapter":  # likewise tunedeck's own adapters
            values -= TUNEDECK_ADAPTERS
        if not values or not k.axolotl:  # Axolotl ignores tunedeck's own knobs
            continue
        assert path in axolotl, f"{path} offers {sorted(map(str, values))}: add Axolotl's value set here"
        assert values <= axolotl[path], f"{path}: {values - axolotl[path]} are not Axolotl values"
        checked.add(path)
    assert {"optimizer", "lr_scheduler", "datasets.type"} <= checked


# A transcription of the Axolotl field types that tunedeck's knobs map to (lax pydantic, as Axolotl validates).
class _SpecialTokens(BaseModel, extra="forbid"):
    bos_token: str | None = None
    eos_token: str | None = None
    pad_token: str | None = None
    unk_token: str | None = None
    additional_special_tokens: list[str] | None = None


class _SFTDataset(BaseModel):
    path: str | None = None
    split: str | None = None
    type: str | None = None
    name: str | None = None
    data_files: str | list[str] | None = None
    ds_type: str | None = None
    field: str | None = None
    chat_template: str | None = None
    chat_template_jinja: str | None = None
    field_messages: str | None = None
    message_field_role: str | None = None
    message_field_content: str | None = None
    message_property_mappings: dict[str, str] | None = None
    roles_to_train: list[str] | None = None
    train_on_eos: str | None = None
    roles: dict[str, list[str]] | None = None


_CHAT_TEMPLATES = {"alpaca", "chatml", "mistral_v1", "mistral_v2v3", "mistral_v3_tekken", "mistral_v7_tekken",
                   "gemma", "cohere", "llama3", "llama3_2_vision", "llama4", "phi_3", "phi_35", "deepseek_v2",
                   "deepseek_v3", "jamba", "jinja", "qwen_25", "qwen3", "tokenizer_default", "exaone",
                   "metharme", "pixtral", "llava", "qwen2_vl", "gemma3"}  # enums.ChatTemplate (a subset)


class _AxolotlMini(BaseModel):
    base_model: str
    base_model_config: str | None = None
    tokenizer_config: str | None = None
    revision_of_model: str | None = None
    trust_remote_code: bool | None = None
    datasets: list[_SFTDataset]
    dataset_prepared_path: str | None = None
    chat_template: str | None = None
    chat_template_jinja: str | None = None
    eot_tokens: list[str] | None = None
    train_on_inputs: bool | None = None
    special_tokens: _SpecialTokens | None = None
    tokens: list[str] | None = None
    sequence_len: int = 512
    min_sample_len: int | None = None
    excess_length_strategy: str | None = None
    sample_packing: bool | None = None
    pad_to_sequence_len: bool | None = None
    micro_batch_size: int | None = 1
    gradient_accumulation_steps: int | None = 1
    eval_batch_size: int | None = None
    gradient_checkpointing: Literal["offload", "offload_disk"] | bool | None = False
    activation_offloading: Literal["legacy", "disk"] | bool | None = False
    num_epochs: float = 1.0
    max_steps: int | None = None
    learning_rate: str | float
    optimizer: str | None = None
    lr_scheduler: str | None = None
    warmup_steps: int | None = None
    warmup_ratio: float | None = None
    weight_decay: float | None = 0.0
    max_grad_norm: float | None = None
    neftune_noise_alpha: float | None = None
    seed: int | None = None
    adapter: str | None = None
    load_in_8bit: bool | None = False
    load_in_4bit: bool | None = False
    lora_r: int | None = None
    lora_alpha: int | None = None
    lora_dropout: float | None = 0.0
    lora_target_modules: str | list[str] | None = None
    lora_target_parameters: str | list[str] | None = None
    lora_target_linear: bool | None = None
    val_set_size: float | None = 0.0
    eval_strategy: str | None = None
    eval_steps: int | float | None = None
    evals_per_epoch: int | None = None
    output_dir: str = "./model-out"
    save_strategy: str | None = None
    save_steps: int | float | None = None
    saves_per_epoch: int | None = None
    save_total_limit: int | None = None
    metric_for_best_model: str | None = None
    greater_is_better: bool | None = None
    logging_steps: int | None = None
    resume_from_checkpoint: str | None = None
    auto_resume_from_checkpoints: bool | None = None
    hub_model_id: str | None = None
    hub_strategy: str | None = None
    wandb_project: str | None = None
    wandb_entity: str | None = None
    wandb_name: str | None = None
    wandb_mode: str | None = None
    wandb_log_model: str | None = None
    bf16: Literal["auto"] | bool | None = "auto"
    fp16: bool | None = None
    tf32: Literal["auto"] | bool | None = "auto"
    attn_implementation: str | None = None
    flash_attention: bool | None = None
    sdp_attention: bool | None = None
    deepspeed: str | dict[str, Any] | None = None
    fsdp_config: dict[str, Any] | None = None


def axolotl_problems(text: str) -> list[str]:
    """Why Axolotl would refuse this YAML (empty when it would accept it).

    Read with PyYAML's safe_load, as Axolotl reads its configs (YAML 1.1: ``5e-5`` is text there, which
    Axolotl's lax pydantic types turn into a number).
    """
    import yaml

    data = yaml.safe_load(text)
    out = [f"{k}: not an Axolotl key" for k in data if k not in AXOLOTL_TOP_LEVEL_KEYS and k not in LAUNCH_KNOBS]
    for i, entry in enumerate(data.get("datasets") or []):
        out += [f"datasets.{i}.{k}: not an Axolotl dataset key" for k in entry if k not in AXOLOTL_DATASET_KEYS]
    fields = {k: v for k, v in data.items() if k not in LAUNCH_KNOBS}
    if "model_revision" in fields:  # Axolotl's alias of revision_of_model
        fields["revision_of_model"] = fields.pop("model_revision")
    try:
        _AxolotlMini.model_validate(fields)
    except ValidationError as err:
        out += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()]
    g = data.get
    # Model validators of config.py / validation.py, as Axolotl applies them (truthiness included).
    if not data.get("datasets"):
        out.append("datasets: Axolotl needs at least one entry")
    if sum(1 for f in ("micro_batch_size", "gradient_accumulation_steps", "batch_size") if g(f)) < 2:
        out.append("at least two of micro_batch_size, gradient_accumulation_steps, batch_size must be set")
    legacy = [f for f in ("xformers_attention", "sdp_attention", "s2_attention", "flash_attention",
                          "flex_attention", "sage_attention", "eager_attention") if g(f)]
    if len(legacy) > 1 or (legacy and g("attn_implementation")):
        out.append(f"attention: {legacy} with attn_implementation={g('attn_implementation')!r}")
    if g("chat_template") and g("chat_template") not in _CHAT_TEMPLATES \
            and not str(g("chat_template")).startswith("tokenizer_default_fallback_"):
        out.append(f"chat_template: {g('chat_template')!r} is not one of Axolotl's template names")
    templates = [("", data)] + [(f"datasets.{i}.", e) for i, e in enumerate(data.get("datasets") or [])]
    for at, where in templates:  # check_chat_template_config (config.py and datasets.py)
        if where.get("chat_template") == "jinja" and not where.get("chat_template_jinja"):
            out.append(f"{at}chat_template_jinja is required when chat_template is set to jinja")
    targets = g("lora_target_modules")
    for pattern in targets if isinstance(targets, list) else []:  # check_lora_target_modules_regex
        try:
            re.compile(str(pattern))
        except re.error:
            out.append(f"lora_target_modules contains invalid regex pattern(s): {pattern}")
    if g("save_strategy") == "best" and not g("metric_for_best_model"):
        out.append("save_strategy: 'best' requires metric_for_best_model")
    if g("warmup_steps") and g("warmup_ratio"):
        out.append("warmup_steps and warmup_ratio are mutually exclusive")
    if g("evals_per_epoch") and g("eval_steps"):
        out.append("eval_steps and evals_per_epoch are mutually exclusive")
    if g("evals_per_epoch") and g("eval_strategy") and g("eval_strategy") != "steps":
        out.append("eval_strategy must be empty or steps with evals_per_epoch")
    if g("saves_per_epoch") and g("save_steps"):
        out.append("save_steps and saves_per_epoch are mutually exclusive")
    if g("saves_per_epoch") and g("save_strategy") and g("save_strategy") != "steps":
        out.append("save_strategy must be empty or steps with saves_per_epoch")
    if g("save_strategy") and g("save_steps") and g("save_strategy") != "steps":
        out.append("save_strategy and save_steps mismatch")
    if g("val_set_size") == 0 and (g("eval_steps") or g("eval_strategy")) and g("eval_strategy") != "no":
        out.append("eval_steps and eval_strategy are not supported with val_set_size == 0")
    for i, entry in enumerate(data.get("datasets") or []):
        if str(entry.get("type", "")).startswith("sharegpt"):
            out.append(f"datasets.{i}.type: sharegpt is rejected by Axolotl")
    return out


def test_the_mini_check_catches_what_axolotl_refuses() -> None:
    """The checker is not a rubber stamp: each kind of mistake Axolotl refuses is found."""
    good = "base_model: m\ndatasets:\n  - path: d.jsonl\n    type: completion\nlearning_rate: 5e-5\n" \
           "micro_batch_size: 2\ngradient_accumulation_steps: 2\nweight_decay: 1e-2\n"
    assert axolotl_problems(good) == []
    bad = {
        "lora_r: 8.5\n": "lora_r",
        "lora_alpha: 16.5\n": "lora_alpha",
        "bf16: maybe\n": "bf16",
        "special_tokens:\n  pad: x\n": "special_tokens",
        "lora_target_modules: {q: 1}\n": "lora_target_modules",
        "chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}'\n": "template names",
        "save_strategy: best\n": "metric_for_best_model",
        "greater_is_better: maybe\n": "greater_is_better",
        "chat_template: jinja\n": "chat_template_jinja is required",
        "datasets:\n  - path: d.jsonl\n    chat_template: jinja\n": "datasets.0.chat_template_jinja",
        "lora_target_modules: ['q_proj', 'v_(']\n": "invalid regex",
        "warmup_steps: 5\nwarmup_ratio: 0.1\n": "mutually exclusive",
        "flash_attention: true\nattn_implementation: sdpa\n": "attention",
        "num_procs: 2\n": "not an Axolotl key",
    }
    for extra, words in bad.items():
        found = axolotl_problems(good + extra)
        assert any(words in p for p in found), (extra, found)
    assert any("two of" in p for p in axolotl_problems(good.replace("micro_batch_size: 2\n", "")))


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_shipped_preset_is_valid_axolotl_yaml(path: Path) -> None:
    assert axolotl_problems(path.read_text()) == []


def test_preset_saved_after_edits_is_valid_axolotl_yaml(tmp_path: Path) -> None:
    """Edits typed as the editor and --set pass them (text) come out in Axolotl's types and spellings."""
    target = tmp_path / "edited.yaml"
    target.write_text((ROOT / "presets" / "tiny-cpu-demo.yaml").read_text())
    preset = load_preset(target)
    edits = {
        "adapter": "lora", "lora_r": "16", "lora_alpha": "32", "lora_dropout": "0.05",
        "lora_target_modules": "[q_proj, v_proj]", "bf16": "auto", "sample_packing": "true",
        "learning_rate": "2e-4", "warmup_steps": "10", "optimizer": "adamw_torch_fused",
        "lr_scheduler": "cosine_with_min_lr", "special_tokens": "{pad_token: '<|im_end|>'}",
        "tokens": "['<tool>']", "wandb_project": "demo", "hub_model_id": "me/demo", "hub_strategy": "end",
        "datasets.0.roles": "{user: [human], assistant: [gpt]}", "datasets.0.split": "train",
        "datasets.1.path": "tiny/facts.jsonl", "datasets.1.type": "completion", "datasets.1.field": "text",
        "model_revision": "main", "gpus_per_node": "2",
    }
    for key, value in edits.items():
        preset.set(key, value)
    assert preset.errors == [], [p.format() for p in preset.errors]
    preset.save()
    text = target.read_text()
    assert axolotl_problems(text) == []
    data = YAML(typ="safe").load(text)
    assert data["lora_target_modules"] == ["q_proj", "v_proj"] and data["bf16"] == "auto"
    assert isinstance(data["lora_r"], int) and isinstance(data["lora_alpha"], int)
    assert data["datasets"][1] == {"path": "tiny/facts.jsonl", "type": "completion", "field": "text"}
    assert data["special_tokens"] == {"pad_token": "<|im_end|>"} and data["gpus_per_node"] == 2


def test_a_jinja_chat_template_is_written_the_axolotl_way(tmp_path: Path) -> None:
    """Your own template is chat_template: jinja plus chat_template_jinja; Jinja in chat_template is refused
    (Axolotl does not accept it) with the fix spelled out, on the key's line."""
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    target = tmp_path / "jinja.yaml"
    target.write_text((ROOT / "presets" / "tiny-cpu-demo.yaml").read_text())
    preset = load_preset(target)
    preset.set("chat_template", template)
    [error] = preset.errors
    assert error.key == "chat_template" and error.line is not None
    assert "chat_template: jinja" in error.message and "chat_template_jinja" in error.message
    with pytest.raises(TunedeckError):
        preset.save()

    preset.set("chat_template", "jinja")
    assert [p.key for p in preset.errors] == ["chat_template"]  # jinja without the template
    assert "chat_template_jinja is not set" in preset.errors[0].message
    preset.set("chat_template_jinja", template)
    assert preset.errors == []
    preset.save()
    text = target.read_text()
    assert axolotl_problems(text) == []
    again = load_preset(target).config
    assert (again.chat_template, again.chat_template_jinja) == ("jinja", template)


def test_save_strategy_best_needs_a_metric_as_in_axolotl(tmp_path: Path) -> None:
    target = tmp_path / "best.yaml"
    target.write_text((ROOT / "presets" / "tiny-cpu-demo.yaml").read_text())
    preset = load_preset(target)
    preset.unset("saves_per_epoch")  # Axolotl refuses it beside save_strategy best
    preset.set("save_strategy", "best")
    errors = [p for p in preset.errors if p.key == "save_strategy"]
    assert len(errors) == 1 and "metric_for_best_model: eval_loss" in errors[0].message
    preset.set("metric_for_best_model", "eval_loss")
    preset.set("greater_is_better", "false")
    assert [p.format() for p in preset.errors] == []
    preset.save()
    assert axolotl_problems(target.read_text()) == []
    cfg = load_preset(target).config
    assert (cfg.metric_for_best_model, cfg.greater_is_better) == ("eval_loss", False)


def test_lora_target_modules_regex_reaches_peft_unchanged(tiny_model_dir: Path) -> None:
    """A string is handed to PEFT as one regex over full module names; a list by layer-name suffix."""
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from engine.knobs import Config
    from engine.train.model import lora_config

    def adapted(targets: Any) -> set[str]:
        cfg = Config(base_model=str(tiny_model_dir), adapter="lora", lora_target_modules=targets)
        lora = lora_config(cfg)
        assert lora.target_modules == (targets if isinstance(targets, str) else set(targets))
        model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir), lora)
        return {n.removeprefix("base_model.model.model.") for n, m in model.named_modules() if hasattr(m, "lora_A")}

    assert adapted(r".*layers\.0\.self_attn\.(q|v)_proj") == {"layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj"}
    assert adapted(["q_proj", "v_proj"]) == {f"layers.{i}.self_attn.{m}_proj" for i in (0, 1) for m in "qv"}


def test_knob_values_axolotl_types() -> None:
    """lora_alpha is a whole number as in Axolotl; the new optimizers exist in transformers' OptimizerNames."""
    from transformers.training_args import OptimizerNames

    from engine.knobs import Config, get_knob

    assert Config(lora_alpha=32.0).lora_alpha == 32 and type(Config(lora_alpha=32.0).lora_alpha) is int
    with pytest.raises(ValidationError):
        Config(lora_alpha=16.5)
    with pytest.raises(ValidationError):
        Config(lora_alpha=0)
    offered = _literals(get_knob("optimizer").annotation)
    assert {"adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "paged_ademamix_8bit"} <= offered
    # muon is Axolotl's own, built by engine.train.muon from torch's Muon and AdamW: the rest are transformers'
    assert offered - {"muon"} <= {o.value for o in OptimizerNames}


def test_metric_for_best_model_reaches_the_trainer_arguments(tmp_path: Path) -> None:
    """The knob lands in SFTConfig (built for real, so transformers' own checks run); best alone means eval_loss."""
    from engine.knobs import Config
    from engine.train.args import build_sft_config, plan
    from engine.train.hardware import resolve_precision

    def args(**knobs: Any) -> Any:
        c = Config(base_model="m", datasets=[{"path": "d.jsonl"}], val_set_size=0.1, output_dir=str(tmp_path),
                   **knobs)
        precision = resolve_precision(c, cuda=False, bf16_supported=False)
        return build_sft_config(c, precision, plan(c, 100, 1), has_eval=True, preset_path=None)

    best = args(save_strategy="best", metric_for_best_model="eval_mean_token_accuracy")
    assert (best.metric_for_best_model, best.greater_is_better) == ("eval_mean_token_accuracy", True)
    loss = args(save_strategy="best", metric_for_best_model="eval_loss", greater_is_better=False)
    assert (loss.metric_for_best_model, loss.greater_is_better) == ("eval_loss", False)
    assert args(save_strategy="best").metric_for_best_model == "eval_loss"  # a Config built without the rules
    kept = args(saves_per_epoch=2, save_total_limit=1, metric_for_best_model="loss")
    assert (kept.save_strategy, kept.metric_for_best_model, kept.greater_is_better) == ("steps", "loss", False)
    assert args(saves_per_epoch=2).metric_for_best_model is None


# ---------------------------------------------------------- 3. shapes of Axolotl's examples (fixtures/axolotl/shapes)

SHAPES = FIXTURES / "shapes"


def _shape(name: str) -> Any:
    preset = load_preset(SHAPES / name)
    assert [p.format() for p in preset.errors] == []
    return preset


def _warned(preset: Any, key: str) -> str:
    [message] = [p.message for p in preset.warnings if p.key == key]
    return message


def test_xformers_and_alpaca_chat_are_accepted_and_xformers_trains_with_sdpa() -> None:
    from engine.attention import attention_plan
    from engine.preset.on_this_machine import problems_here

    preset = _shape("xformers-alpaca-chat.yml")
    cfg = preset.config
    assert cfg.datasets[0].type == "alpaca:chat" and cfg.attn_implementation == "xformers"
    plan = attention_plan(cfg, gpu=True, kernels=True)
    assert plan.implementation == "sdpa" and "trains with sdpa" in (plan.note or "")
    [note] = [p for p in problems_here(preset) if p.key == "attn_implementation"]
    assert note.severity == "info" and note.line == 13 and "transformers has no xformers attention" in note.message
    assert _shape("phi3-alpaca-phi.yml").config.datasets[0].type == "alpaca:phi"


def test_a_hub_kernel_is_accepted_and_validate_says_what_runs() -> None:
    from engine.attention import attention_plan

    cfg = _shape("gpt-oss-hub-kernel.yaml").config
    kernel = "kernels-community/vllm-flash-attn3"
    assert attention_plan(cfg, gpu=True, kernels=True).implementation == kernel
    for gpu, kernels, lacks in ((False, True, "a CUDA GPU"), (True, False, "the kernels package")):
        plan = attention_plan(cfg, gpu=gpu, kernels=kernels)
        assert (plan.implementation, plan.severity) == ("sdpa", "warning")
        assert f"this machine lacks {lacks}" in (plan.note or "")
    refused = load_preset(SHAPES / "gpt-oss-hub-kernel.yaml")
    refused.set("attn_implementation", "someone/flash-attn")  # not kernels-community: transformers would refuse
    [error] = refused.errors
    assert error.key == "attn_implementation" and "kernels-community/NAME" in error.message


def test_evals_per_epoch_0_means_no_evaluation() -> None:
    from engine.machine import evaluates
    from engine.train.args import plan, sft_kwargs
    from engine.train.hardware import resolve_precision

    preset = _shape("evals-per-epoch-0.yaml")
    cfg = preset.config
    assert "no evaluation runs" in _warned(preset, "evals_per_epoch") and not evaluates(cfg)
    precision = resolve_precision(cfg, cuda=False, bf16_supported=False)
    kwargs = sft_kwargs(cfg, precision, plan(cfg, 100, 1), has_eval=True, preset_path=None)
    assert kwargs["eval_strategy"] == "no"


def test_fractional_warmup_steps_is_a_ratio_as_transformers_reads_it(tmp_path: Path) -> None:
    from transformers import TrainingArguments

    from engine import derive
    from engine.train.args import warmup

    preset = _shape("warmup-fraction-max-steps.yaml")
    cfg = preset.config
    assert cfg.warmup_steps == 0.1 and "warmup_ratio: 0.1" in _warned(preset, "warmup_steps")
    assert "max_steps wins" in _warned(preset, "max_steps")  # a warning, not an error
    real = TrainingArguments(output_dir=str(tmp_path), warmup_steps=warmup(cfg)).get_warmup_steps(20)
    assert derive.warmup_steps(cfg, derive.total_steps(cfg)) == real == 2
    whole = cfg.model_copy(update={"warmup_steps": 5})
    assert derive.warmup_steps(whole, 20) == TrainingArguments(output_dir=str(tmp_path), warmup_steps=warmup(whole)) \
        .get_warmup_steps(20) == 5


def test_tokens_as_a_mapping_are_special_tokens() -> None:
    preset = _shape("tokens-mapping.yml")
    cfg = preset.config
    assert cfg.tokens is None
    assert cfg.special_tokens == {"pad_token": "<|padding|>", "bos_token": "<|endoftext|>",
                                  "eos_token": "<|endoftext|>"}
    assert "move them under special_tokens" in _warned(preset, "tokens")


def test_swanlab_keys_are_kept_and_never_a_misspelt_wandb_key() -> None:
    from engine.preset.unknown_keys import classify

    preset = _shape("swanlab-lora.yml")
    assert {"use_swanlab", "swanlab_project", "swanlab_mode", "swanlab_log_model"} <= set(preset.kept_keys)
    assert not [p for p in preset.problems if "did you mean" in p.message]
    assert classify("mlflow_mode").suggestion is None  # wandb_mode is another integration's key
    assert classify("swanlab_projct").suggestion == "swanlab_project"
    assert classify("wandb_projct").suggestion == "wandb_project"


@pytest.mark.parametrize(("name", "key", "feature"),
                         [("prm.yaml", "process_reward_model", "process reward-model training"),
                          ("grpo.yaml", "rl", "(GRPO)")])
def test_unsupported_training_kinds_are_refused_by_name(name: str, key: str, feature: str) -> None:
    preset = load_preset(SHAPES / name)
    errors = {p.key: p.message for p in preset.errors}
    assert set(errors) == {key, "datasets.0.type"}
    for message in errors.values():
        assert feature in message and "not support" in message and "expected one of" not in message


@pytest.mark.parametrize(("name", "key", "where"), [("cloud-modal.yaml", "project_name", "Modal"),
                                                    ("cloud-baseten.yaml", "provider", "Baseten")])
def test_a_cloud_launch_config_is_refused_by_name(tmp_path: Path, name: str, key: str, where: str) -> None:
    """examples/cloud/modal.yaml and baseten.yaml (the file of `axolotl train config.yml --cloud cloud.yaml`): one
    error saying what the file is and to open the training config, not "base_model is not set" and a key list."""
    from engine.importers import import_config

    path = SHAPES / name
    [problem] = load_preset(path).problems
    assert (problem.severity, problem.key, problem.line) == ("error", key, 2)
    for words in (f"Axolotl's cloud launch config for {where}", "--cloud cloud.yaml", "not a training config",
                  "tunedeck trains on the machine it runs on", "open the training config"):
        assert words in problem.message
    with pytest.raises(TunedeckError) as refused:  # `tunedeck import` says the same, not "not a config it imports"
        import_config(path)
    assert str(refused.value).startswith(f"{path}:2: this is Axolotl's cloud launch config for {where}")
    training = tmp_path / "training.yaml"  # a training config that carries a cloud-looking key is not one
    training.write_text(path.read_text() + "base_model: some/model\ndatasets:\n  - path: data.jsonl\n")
    assert "cloud launch config" not in " ".join(p.message for p in load_preset(training).problems)


def test_a_reward_model_config_is_accepted() -> None:
    """examples/qwen2/reward-model.yaml's shape (gemma2's and qwen3's are the same keys): a Bradley-Terry reward
    model, trained by tunedeck (engine.train.reward), not refused."""
    cfg = _shape("reward-model.yaml").config
    assert cfg.reward_model and cfg.num_labels == 1 and cfg.datasets[0].type == "bradley_terry.chat_template"
