"""Cross-knob rules: combinations that each pass their own type check but make no sense together.

``check_rules(cfg)`` returns every problem found (errors and warnings), each keyed by the dotted path of the
knob to change ("datasets.0.roles") and saying what to do. It knows nothing of files or lines (the preset
loader adds those) and nothing of the hardware (the engine checks that when it starts a run).
"""

from __future__ import annotations

from collections.abc import Iterator

from .config import Config
from .datasets import DatasetConfig
from .evaluation import has_validation
from .problems import Problem
from .registry import dataset_knobs, top_level_knobs
from .rule_registry import RULES, rule

TEMPLATE_ROLES = ("user", "assistant", "system", "tool")
# The knobs (per dataset, and at the top level) that only chat_template datasets read.
_CHAT = ("chat_template",)
CHAT_ONLY_KEYS = tuple(k.key for k in dataset_knobs() if k.dataset_types == _CHAT)
_CHAT_ONLY_TOP_LEVEL = tuple(k.key for k in top_level_knobs() if k.dataset_types == _CHAT)
LORA_KEYS = ("lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_linear",
             "lora_target_parameters")


def check_rules(cfg: Config) -> list[Problem]:
    """Every cross-knob problem in ``cfg``, in a stable order (errors and warnings mixed, as found)."""
    return [problem for check in RULES for problem in check(cfg)]


def _error(key: str, message: str) -> Problem:
    return Problem(key=key, message=message, severity="error")


def _warning(key: str, message: str) -> Problem:
    return Problem(key=key, message=message, severity="warning")


def _is_set(cfg: Config, key: str) -> bool:
    """True when the preset changes ``key`` from its default (written out at the default counts as unchanged)."""
    return getattr(cfg, key) != Config.model_fields[key].get_default(call_default_factory=True)


# --- the essentials ---------------------------------------------------------------------------------------

@rule
def _base_model_required(cfg: Config) -> Iterator[Problem]:
    if not (cfg.base_model or "").strip():
        yield _error("base_model", "base_model is not set: give the model to fine-tune, either a Hugging Face id "
                     "such as meta-llama/Meta-Llama-3-8B-Instruct or a local folder with config.json and weights.")


@rule
def _datasets_required(cfg: Config) -> Iterator[Problem]:
    if not cfg.datasets and not cfg.pretraining_dataset:  # a streamed pretraining_dataset is the data instead
        yield _error("datasets", "datasets is empty, so there is nothing to train on: add at least one entry "
                     "with a path and a type, e.g. `- path: data/train.jsonl` and `type: chat_template`.")


@rule
def _remote_code(cfg: Config) -> Iterator[Problem]:
    if cfg.trust_remote_code:
        names = " and ".join(dict.fromkeys(f"'{m}'" for m in (cfg.base_model, cfg.tokenizer_config) if m))
        yield _warning("trust_remote_code", f"trust_remote_code is on: loading {names or 'the model'} runs Python "
                       "code from that repository on this machine, with your permissions. `tunedeck train` runs "
                       "it because the preset says so; the app asks first, and `tunedeck preview` needs "
                       "--trust-remote-code. Keep it only for a repository whose code you trust.")


# --- pairs that say the same thing two ways ---------------------------------------------------------------

_EITHER_OR = (
    ("warmup_steps", "warmup_ratio", "both size the learning-rate warmup"),
    ("save_steps", "saves_per_epoch", "both decide when checkpoints are saved"),
    ("eval_steps", "evals_per_epoch", "both decide when evaluation runs"),
    ("deepspeed", "fsdp_config", "they are two different ways of sharding the model across GPUs"),
)


@rule
def _either_or(cfg: Config) -> Iterator[Problem]:
    for first, second, why in _EITHER_OR:
        if getattr(cfg, first) is not None and getattr(cfg, second) is not None:
            yield _error(second, f"{first} and {second} are both set, but {why}: keep one of them and remove "
                         f"the other.")


@rule
def _fractional_warmup_steps(cfg: Config) -> Iterator[Problem]:
    """Read as transformers 5 reads it (a ratio), but Axolotl's schema types warmup_steps as a whole number."""
    if isinstance(cfg.warmup_steps, float) and 0 < cfg.warmup_steps < 1:
        yield _warning("warmup_steps", f"warmup_steps {cfg.warmup_steps:g} is read as a fraction of all optimizer "
                       f"steps (as transformers 5 reads it), but Axolotl expects a whole number of steps here: "
                       f"write warmup_ratio: {cfg.warmup_steps:g} instead, which both read the same way.")


@rule
def _precision(cfg: Config) -> Iterator[Problem]:
    if cfg.fp16 and cfg.bf16 is True:
        yield _error("fp16", "fp16 and bf16 are both true, but a run uses one mixed precision: keep bf16 on GPUs "
                     "that support it (Ampere or newer) and set fp16: false, or set bf16: false on older GPUs.")


# --- adapters and quantization ----------------------------------------------------------------------------

@rule
def _quantization(cfg: Config) -> Iterator[Problem]:
    if cfg.load_in_8bit and cfg.load_in_4bit:
        yield _error("load_in_8bit", "load_in_8bit and load_in_4bit are both true, but the base loads in one "
                     "format: keep load_in_4bit with adapter: qlora, or load_in_8bit with adapter: lora.")
        return
    if cfg.adapter == "qlora" and not cfg.load_in_4bit:
        yield _error("load_in_4bit", "adapter is qlora, which trains over a 4-bit base, but load_in_4bit is not "
                     "true: set load_in_4bit: true, or use adapter: lora for a full-precision base.")
    if cfg.load_in_4bit and cfg.adapter != "qlora":
        yield _error("adapter", "load_in_4bit is true but adapter is not qlora: 4-bit weights cannot be trained "
                     "directly, so set adapter: qlora, or set load_in_4bit: false.")
    if cfg.load_in_8bit and cfg.adapter is None:
        yield _error("load_in_8bit", "load_in_8bit is true but no adapter is set: 8-bit weights cannot be trained "
                     "directly, so set adapter: lora, or set load_in_8bit: false.")
    if cfg.load_in_8bit and cfg.adapter == "qlora":
        yield _error("load_in_8bit", "load_in_8bit is true with adapter qlora, which needs a 4-bit base: set "
                     "load_in_8bit: false and load_in_4bit: true, or use adapter: lora.")


@rule
def _lora_targets(cfg: Config) -> Iterator[Problem]:
    chosen = cfg.lora_target_modules or cfg.lora_target_linear or cfg.lora_target_parameters
    # An adapter loaded from lora_model_dir brings its own layers (its adapter_config.json's target_modules).
    if cfg.adapter in ("lora", "qlora") and not chosen and not cfg.lora_model_dir:
        yield _error("adapter", f"adapter is {cfg.adapter} but no layers are chosen for it: set "
                     "lora_target_linear: true to adapt every linear layer, list layers in lora_target_modules "
                     "(e.g. [q_proj, k_proj, v_proj, o_proj]), name parameter tensors in "
                     "lora_target_parameters, or continue a trained adapter from lora_model_dir.")


@rule
def _lora_target_regex(cfg: Config) -> Iterator[Problem]:
    """A string is a regex PEFT matches against whole module names, so a bare layer name matches nothing."""
    value = cfg.lora_target_modules
    if isinstance(value, str) and value != "all-linear" and not set(value) & set(".*+?[](){}|^$\\"):
        yield _warning("lora_target_modules", f"lora_target_modules is the text '{value}', which PEFT reads as a "
                       f"regex that must match a module's whole name (model.layers.0.self_attn.{value}), so it "
                       f"matches no layer: write a list, [{value}], to match layers by the end of their name.")


@rule
def _lora_without_adapter(cfg: Config) -> Iterator[Problem]:
    changed = [key for key in LORA_KEYS if _is_set(cfg, key)]
    if changed and cfg.adapter is None:
        yield _warning(changed[0], f"{', '.join(changed)} only matter with an adapter, and adapter is empty (every "
                       "weight is trained): set adapter: lora (or qlora) to train a LoRA adapter, or remove them.")


# --- evaluation and saving --------------------------------------------------------------------------------

@rule
def _eval_needs_data(cfg: Config) -> Iterator[Problem]:
    if has_validation(cfg):
        return
    fix = "set val_set_size (e.g. 0.05 for 5% of the rows) to hold out data, or test_datasets, or remove"
    for key in ("eval_steps", "evals_per_epoch"):  # a warning: Axolotl's examples ship this way
        if getattr(cfg, key) not in (None, 0):  # evals_per_epoch 0 already says "no evaluation"
            yield _warning(key, f"{key} is ignored: val_set_size is 0, so there is nothing to evaluate on and no "
                           f"evaluation runs: {fix} {key}.")
    if cfg.eval_on_start:
        yield _warning("eval_on_start", "eval_on_start is ignored: val_set_size is 0, so there is nothing to "
                       f"evaluate on before the first step: {fix} eval_on_start.")
    if cfg.eval_strategy in ("steps", "epoch"):
        yield _error("eval_strategy", f"eval_strategy is {cfg.eval_strategy} but val_set_size is 0, so there is "
                     f"nothing to evaluate on: {fix} eval_strategy.")
    if cfg.eval_batch_size is not None:
        yield _warning("eval_batch_size", "eval_batch_size is ignored because val_set_size is 0 (no evaluation): "
                       "set val_set_size to evaluate, or remove eval_batch_size.")


@rule
def _one_validation_source(cfg: Config) -> Iterator[Problem]:
    if cfg.test_datasets and cfg.val_set_size:
        yield _error("val_set_size", f"val_set_size is {cfg.val_set_size:g} and test_datasets is set: the validation "
                     "rows come from one or the other, and Axolotl refuses both. Set val_set_size: 0 to evaluate on "
                     "test_datasets (every training row then trains), or remove test_datasets.")


@rule
def _samples_need_evaluation(cfg: Config) -> Iterator[Problem]:
    from engine.machine import evaluates

    if cfg.sample_answers and not evaluates(cfg):
        yield _warning("sample_answers", f"sample_answers is {cfg.sample_answers}, but no evaluation runs, and samples "
                       "are answered at each evaluation: set val_set_size (and evals_per_epoch or eval_steps) to "
                       "evaluate, or set sample_answers: 0.")
    if cfg.sample_prompts_file and not cfg.sample_answers:
        yield _warning("sample_prompts_file", "sample_prompts_file is set but sample_answers is 0, so no sample is "
                       "answered: set sample_answers to how many of its prompts to answer, or remove it.")


@rule
def _no_evals_per_epoch(cfg: Config) -> Iterator[Problem]:
    if cfg.evals_per_epoch == 0 and cfg.val_set_size > 0:
        yield _warning("evals_per_epoch", f"evals_per_epoch is 0, so no evaluation runs, yet val_set_size "
                       f"({cfg.val_set_size:g}) still holds rows out of training: set val_set_size: 0 to train on "
                       "them, or evals_per_epoch to 1 or more to evaluate.")


@rule
def _strategy_overrides_schedule(cfg: Config) -> Iterator[Problem]:
    """A strategy other than steps decides on its own; the step/per-epoch knobs then do nothing."""
    for strategy, keys in (("eval_strategy", ("eval_steps", "evals_per_epoch")),
                           ("save_strategy", ("save_steps", "saves_per_epoch"))):
        value = getattr(cfg, strategy)
        if value in (None, "steps"):
            continue
        for key in keys:
            if getattr(cfg, key) is not None:
                yield _warning(key, f"{key} is ignored because {strategy} is {value}: remove {key}, or remove "
                               f"{strategy} to let {key} decide.")


@rule
def _save_best_needs_eval(cfg: Config) -> Iterator[Problem]:
    if cfg.save_strategy == "best" and (not has_validation(cfg) or cfg.eval_strategy == "no"):
        yield _error("save_strategy", "save_strategy is best, which saves when the validation loss improves, but "
                     "nothing is evaluated: set val_set_size (e.g. 0.05) and leave eval_strategy unset or steps, "
                     "or choose save_strategy steps or epoch.")


@rule
def _load_best_needs_save_best(cfg: Config) -> Iterator[Problem]:
    if cfg.load_best_model_at_end and cfg.save_strategy != "best":
        yield _error("load_best_model_at_end", "load_best_model_at_end is true but save_strategy is "
                     f"{cfg.save_strategy or 'unset'}: tunedeck keeps the best model only with save_strategy best "
                     "(a checkpoint exactly when metric_for_best_model improves). Set save_strategy: best and "
                     "metric_for_best_model: eval_loss, or remove load_best_model_at_end.")


@rule
def _best_metric(cfg: Config) -> Iterator[Problem]:
    """Axolotl refuses save_strategy best without metric_for_best_model; the direction must fit the metric."""
    metric = cfg.metric_for_best_model
    if cfg.save_strategy == "best" and metric is None:
        yield _error("save_strategy", "save_strategy is best but metric_for_best_model is not set, and Axolotl "
                     "refuses that: add metric_for_best_model: eval_loss to keep the checkpoint with the lowest "
                     "validation loss, or choose save_strategy steps or epoch.")
    if cfg.greater_is_better is not None and metric is None:
        yield _warning("greater_is_better", "greater_is_better only gives the direction of metric_for_best_model, "
                       "which is not set: set metric_for_best_model (e.g. eval_loss), or remove greater_is_better.")
    if metric is not None and metric.endswith("loss") and cfg.greater_is_better:
        yield _warning("greater_is_better", f"greater_is_better is true with metric_for_best_model {metric}, so the "
                       "checkpoint with the highest loss counts as best: remove greater_is_better (a loss is "
                       "better lower), or set it to false.")
    if metric is not None and not has_validation(cfg) and cfg.save_strategy != "best":
        yield _warning("metric_for_best_model", "metric_for_best_model is ignored because val_set_size is 0, so "
                       "nothing is evaluated: set val_set_size (e.g. 0.05), or remove metric_for_best_model.")


# --- training length --------------------------------------------------------------------------------------

@rule
def _max_steps_wins(cfg: Config) -> Iterator[Problem]:
    if cfg.max_steps is not None and "num_epochs" in cfg.model_fields_set:
        yield _warning("max_steps", f"max_steps ({cfg.max_steps}) and num_epochs are both set; max_steps wins and "
                       "num_epochs is ignored: remove one of them to say which you mean.")


@rule
def _neftune_epochs(cfg: Config) -> Iterator[Problem]:
    if cfg.neftune_noise_alpha is not None and cfg.num_epochs > 3:
        yield _warning("neftune_noise_alpha", f"NEFTune noise over {cfg.num_epochs:g} epochs tends to make the "
                       "model markedly worse: lower num_epochs to 3 or fewer, or remove neftune_noise_alpha.")


# --- sequence ---------------------------------------------------------------------------------------------

@rule
def _min_sample_len_fits(cfg: Config) -> Iterator[Problem]:
    if cfg.min_sample_len > cfg.sequence_len and cfg.excess_length_strategy == "drop":
        yield _error("min_sample_len", f"min_sample_len ({cfg.min_sample_len}) is above sequence_len "
                     f"({cfg.sequence_len}), so every row is either too short or too long and dropped: lower "
                     "min_sample_len (default 2), or set excess_length_strategy: truncate.")


# --- attention --------------------------------------------------------------------------------------------

@rule
def _attention(cfg: Config) -> Iterator[Problem]:
    if cfg.flash_attention and cfg.sdp_attention:
        yield _error("sdp_attention", "flash_attention and sdp_attention are both true, but a model uses one "
                     "attention kernel: remove both and set attn_implementation (flash_attention_2 or sdpa).")
        return
    for legacy, meant in (("flash_attention", "flash_attention_2"), ("sdp_attention", "sdpa")):
        if getattr(cfg, legacy) and cfg.attn_implementation not in (None, meant):
            yield _error(legacy, f"{legacy}: true means attn_implementation {meant}, but attn_implementation is "
                         f"{cfg.attn_implementation}: remove {legacy} and keep attn_implementation alone.")
    attn = cfg.attn_implementation
    if cfg.sample_packing and attn == "eager":
        yield _warning("attn_implementation", "sample_packing with eager attention keeps the packed rows apart "
                       "(the mask is built from the restarting position ids), but eager materializes a full "
                       "sequence_len × sequence_len mask per sample, which is slow and memory-hungry: set "
                       "attn_implementation: sdpa or flash_attention_2.")


# --- tracking and hub -------------------------------------------------------------------------------------

@rule
def _hub(cfg: Config) -> Iterator[Problem]:
    if cfg.hub_strategy is not None and not cfg.hub_model_id:
        yield _warning("hub_strategy", "hub_strategy is set but nothing is pushed without hub_model_id: set "
                       "hub_model_id (user-or-org/name), or remove hub_strategy.")


@rule
def _wandb(cfg: Config) -> Iterator[Problem]:
    if cfg.wandb_project or cfg.wandb_mode == "disabled":
        return
    for key in ("wandb_entity", "wandb_name", "wandb_mode", "wandb_log_model"):
        if getattr(cfg, key) is not None:
            yield _warning(key, f"{key} is set but W&B logging is off without wandb_project: set wandb_project, "
                           f"or remove {key}.")


# --- launching across machines ----------------------------------------------------------------------------

@rule
def _nodes(cfg: Config) -> Iterator[Problem]:
    if cfg.num_nodes > 1 and not cfg.main_process_ip:
        yield _error("num_nodes", f"num_nodes is {cfg.num_nodes} but main_process_ip is not set: set "
                     "main_process_ip to the address of machine 0 so the machines can find each other.")
    if cfg.machine_rank >= cfg.num_nodes:
        yield _error("machine_rank", f"machine_rank is {cfg.machine_rank} but num_nodes is {cfg.num_nodes}; "
                     f"ranks run from 0 to {cfg.num_nodes - 1}: set machine_rank to this machine's index, or raise "
                     "num_nodes.")


# --- datasets ---------------------------------------------------------------------------------------------

@rule
def _datasets(cfg: Config) -> Iterator[Problem]:
    for i, ds in enumerate(cfg.datasets):
        if ds.type.partition(".")[0] == "chat_template":  # chat_template and its preference types
            yield from _chat_dataset(i, ds)
        else:
            yield from _plain_dataset(i, ds)


@rule
def _top_level_template(cfg: Config) -> Iterator[Problem]:
    yield from _template_pair("", cfg.chat_template, cfg.chat_template_jinja)


@rule
def _chat_settings_unused(cfg: Config) -> Iterator[Problem]:
    if not cfg.datasets or any("chat_template" in ds.type.split(".") for ds in cfg.datasets):  # + bradley_terry.
        return
    for key in _CHAT_ONLY_TOP_LEVEL:
        if getattr(cfg, key) is not None:
            yield _warning(key, f"{key} is ignored: no dataset has type chat_template. Remove {key}, or set "
                           "type: chat_template on the datasets that hold conversations.")


def _plain_dataset(i: int, ds: DatasetConfig) -> Iterator[Problem]:
    for key in CHAT_ONLY_KEYS:
        if key in ds.model_fields_set:
            yield _warning(f"datasets.{i}.{key}", f"{key} is ignored for type {ds.type}; it only applies to "
                           f"chat_template datasets: remove it, or set type: chat_template if the rows are "
                           "conversations.")
    if ds.type != "completion" and ds.field is not None:
        hint = {"input_output": "the rows must hold a segments list",
                "alpaca": "the rows must hold instruction, input and output",
                "jeopardy": "the rows must hold question, category and answer"}.get(ds.type.partition(":")[0],
                                                                                    "use field_messages")
        yield _warning(f"datasets.{i}.field", f"field is ignored for type {ds.type}; it only names the text "
                       f"column of completion datasets ({hint}): remove it.")


def _chat_dataset(i: int, ds: DatasetConfig) -> Iterator[Problem]:
    at = f"datasets.{i}"
    if ds.field is not None:
        yield _warning(f"{at}.field", "field is ignored for type chat_template: name the messages column with "
                       "field_messages instead, and remove field.")
    yield from _template_pair(f"{at}.", ds.chat_template, ds.chat_template_jinja)
    yield from _mappings(at, ds)
    yield from _roles(at, ds)


def _is_jinja(text: str) -> bool:
    return "{{" in text or "{%" in text


def _template_pair(at: str, name: str | None, jinja: str | None) -> Iterator[Problem]:
    """chat_template names a template; your own Jinja goes in chat_template_jinja with chat_template: jinja
    (Axolotl's rule: jinja needs the template, and a template with chat_template empty implies jinja)."""
    where = " in this dataset entry" if at else ""
    if name is not None and _is_jinja(name):
        yield _error(f"{at}chat_template", "chat_template holds a Jinja template, but it takes a template's name "
                     "(Axolotl refuses a template here): set chat_template: jinja and move the template into "
                     f"chat_template_jinja{where}.")
    elif name == "jinja" and jinja is None:
        yield _error(f"{at}chat_template", f"chat_template is jinja but chat_template_jinja is not set{where}: write "
                     "your Jinja template (or the path of a .jinja file) in chat_template_jinja, or name a "
                     "template such as chatml or tokenizer_default.")
    elif jinja is not None and name not in (None, "jinja"):
        yield _warning(f"{at}chat_template_jinja", f"chat_template_jinja is ignored because chat_template is {name}"
                       f"{where}: set chat_template: jinja to use your template, or remove chat_template_jinja.")
    if name is not None and not _is_jinja(name):
        from engine.data.templates import name_problem  # caught here, not when the data is tokenized at launch

        problem = name_problem(name)
        if problem:
            yield _error(f"{at}chat_template", problem)


def _mappings(at: str, ds: DatasetConfig) -> Iterator[Problem]:
    """message_property_mappings plus the legacy message_field_* keys must name where role and content live."""
    given = dict(ds.message_property_mappings or {})
    merged = dict(given)
    for legacy, prop in (("message_field_role", "role"), ("message_field_content", "content")):
        value = getattr(ds, legacy)
        if value is None:
            continue
        if prop in given and given[prop] != value:
            yield _error(f"{at}.{legacy}", f"{legacy} is {value!r} but message_property_mappings maps {prop} to "
                         f"{given[prop]!r}: keep only message_property_mappings ({prop}: <your key>) and remove "
                         f"{legacy}.")
            return
        merged[prop] = value
    if not merged:
        return  # role/content data: the defaults fit
    missing = [prop for prop in ("role", "content") if prop not in merged]
    if missing:
        example = "{role: from, content: value}"
        yield _error(f"{at}.message_property_mappings", f"message_property_mappings does not say which message key "
                     f"holds the {' and the '.join(missing)}: its keys are the template's properties (role, content) "
                     f"and its values your data's keys, e.g. {example} for ShareGPT data; add "
                     f"{', '.join(missing)}.")
    empty = [prop for prop, key in merged.items() if not key]
    if empty:
        yield _error(f"{at}.message_property_mappings", f"message_property_mappings leaves {', '.join(empty)} "
                     "empty: write the message key your data uses for it.")


def _roles(at: str, ds: DatasetConfig) -> Iterator[Problem]:
    roles = ds.roles
    if roles is not None:
        unknown = [r for r in roles if r not in TEMPLATE_ROLES]
        if unknown:
            yield _warning(f"{at}.roles", f"roles maps onto {', '.join(unknown)}, which chat templates usually do "
                           f"not know: the keys must be template roles ({', '.join(TEMPLATE_ROLES)}) and the "
                           "values your data's names, e.g. user: [human], assistant: [gpt].")
        seen: dict[str, str] = {}
        for role, names in roles.items():
            if not names:
                yield _warning(f"{at}.roles", f"roles.{role} is an empty list: list the names your data uses for "
                               f"{role}, or remove it.")
            for name in names:
                if name in seen and seen[name] != role:
                    yield _error(f"{at}.roles", f"roles maps {name!r} onto both {seen[name]} and {role}: list each "
                                 "data role name under one template role only.")
                seen[name] = role
    mapped = set(roles) if roles else set(TEMPLATE_ROLES)
    stray = [r for r in ds.roles_to_train if r not in mapped]
    if stray:
        data_names = {n: role for role, names in (roles or {}).items() for n in names}
        hint = "; ".join(f"{r} is mapped to {data_names[r]}" for r in stray if r in data_names)
        yield _warning(f"{at}.roles_to_train", f"roles_to_train names {', '.join(stray)}, not among the mapped "
                       f"template roles ({', '.join(sorted(mapped))}), so nothing of it is learned"
                       f"{' (' + hint + ')' if hint else ''}: list template roles such as assistant.")


from . import (  # noqa: E402  (last: their rules run after these)
    batch_rules,  # noqa: F401  (registers the derived-batch rules)
    lora_parameter_rules,  # noqa: F401  (registers the lora_target_parameters rules)
    mixing_rules,  # noqa: F401  (registers the dataset-mixing rules)
    offloading_rules,  # noqa: F401  (registers the activation-offloading rule)
    optimizer_rules,  # noqa: F401  (registers the optimizer: muon rules)
    preference_rules,  # noqa: F401  (registers the preference-tuning rules)
    pretraining_rules,  # noqa: F401  (registers the streamed pretraining_dataset rules)
    prompt_answer_rules,  # noqa: F401  (registers the prompt_answer rules)
    prompt_learning_rules,  # noqa: F401  (registers the prompt-learning adapter rules)
    reward_rules,  # noqa: F401  (registers the reward-model rules)
    token_init_rules,  # noqa: F401  (registers the new_token_init_from rule)
    vision_rules,  # noqa: F401  (registers the vision-language (processor_type) rules)
)
