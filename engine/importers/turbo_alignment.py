"""turbo-alignment train JSON (sft, dpo, kto) → a tunedeck preset.

Facts from turbo-alignment's config guide: a message renders as prefix_template (with ``{role}`` replaced by
role_tag_mapping[role]) + content + suffix_template, and the rendered messages are joined; its assistant role is
called ``bot``; only_answer_loss trains the last message only (train_last_turn_only); keep_end keeps the end of a
long dialogue."""

from __future__ import annotations

import copy
import json
from typing import Any

from . import signatures
from .conversion import Conversion
from .hf_args import convert_training_args
from .source import SourceConfig

REQUIRED = ("train_dataset_settings", "model_settings", "trainer_settings")
# turbo-alignment's dataset_type → tunedeck's rl method (None: supervised).
METHODS = {"chat": None, "pair_preferences": "dpo", "kto": "kto"}
# turbo-alignment's DPO loss_type values that are a tunedeck rl method of their own.
LOSS_TYPES = {"sigmoid": "dpo", "ipo": "ipo", "simpo": "simpo", "orpo": "orpo"}
# Its role names → tunedeck's (the chat_template dataset type's roles mapping).
ROLES = {"bot": "assistant", "user": "user", "system": "system"}
# How its preference rows are read (chat_template.default's field-name knobs), per rl method.
ROW_FIELDS = {"dpo": "pairs through chat_template.default: field_messages context, field_chosen answer_w, "
              "field_rejected answer_l",
              "kto": "KTO rows through chat_template.default: field_messages context, field_completion answer, "
              "field_label is_desirable"}
# peft's prompt-learning adapters (its peft_settings.name) → tunedeck's adapter values.
PEFT_PROMPT_LEARNING = {"PROMPT_TUNING": "prompt_tuning", "P_TUNING": "p_tuning", "PREFIX_TUNING": "prefix_tuning"}
PEFT_LORA_KEYS = {"r": "lora_r", "lora_alpha": "lora_alpha", "lora_dropout": "lora_dropout",
                  "target_modules": "lora_target_modules"}


looks_like = signatures.turbo_alignment


def convert(source: SourceConfig) -> Conversion:
    data_type = (source.data.get("train_dataset_settings") or {}).get("dataset_type", "chat") \
        if isinstance(source.data.get("train_dataset_settings"), dict) else "chat"
    conv = Conversion(source, f"turbo-alignment ({'sft' if data_type == 'chat' else data_type})")
    for name in REQUIRED:
        conv.section(name, required=True)
    _model(conv)
    _data(conv, "train_dataset_settings", data_type)
    _validation(conv, data_type)
    _trainer(conv)
    _generation(conv)
    _logging(conv)
    conv.finish()
    return conv


def _model(conv: Conversion) -> None:
    m = "model_settings"
    conv.exact(f"{m}.model_path", "base_model")
    if conv.get(f"{m}.model_type", "causal") == "causal":
        conv.same(f"{m}.model_type", "causal language modelling is what tunedeck trains")
    else:
        conv.drop(f"{m}.model_type", "tunedeck trains causal language models only (no classification/reward heads)")
    for part in ("transformers_settings", "model_kwargs"):
        conv.exact(f"{m}.{part}.attn_implementation", "attn_implementation")
        if conv.get(f"{m}.{part}") == {}:
            conv.same(f"{m}.{part}", "empty: nothing to carry")
    if conv.has(f"{m}.adapter_path"):
        conv.approx(f"{m}.adapter_path", "lora_model_dir", conv.get(f"{m}.adapter_path"),
                    "training continues from this LoRA adapter (is_trainable), with adapter: lora")
        conv.preset.setdefault("adapter", "lora")
    if conv.get(f"{m}.is_trainable", True):
        conv.same(f"{m}.is_trainable", "the adapter is trained further")
    if conv.get(f"{m}.resize_token_embeddings") is True:
        conv.same(f"{m}.resize_token_embeddings", "tunedeck resizes the embeddings when tokens are added")
    peft = conv.section(f"{m}.peft_settings")
    name = str(peft.get("name", "LORA")).upper() if peft else None
    if name == "LORA":
        conv.exact(f"{m}.peft_settings.name", "adapter", "lora", "peft's LoRA, as tunedeck builds it")
        for key, target in PEFT_LORA_KEYS.items():
            conv.exact(f"{m}.peft_settings.{key}", target)
        if peft.get("task_type") == "CAUSAL_LM":
            conv.same(f"{m}.peft_settings.task_type", "a causal LM")
    elif name in PEFT_PROMPT_LEARNING:
        conv.exact(f"{m}.peft_settings.name", "adapter", PEFT_PROMPT_LEARNING[name], f"peft's {name}, as tunedeck "
                   "builds it")
        for key in ("num_virtual_tokens", "prompt_tuning_init_text", "encoder_hidden_size"):
            conv.exact(f"{m}.peft_settings.{key}", key)
        if peft.get("task_type") == "CAUSAL_LM":
            conv.same(f"{m}.peft_settings.task_type", "a causal LM")
    elif name:
        conv.drop(f"{m}.peft_settings", f"{name} adapters are not in tunedeck; without an adapter the preset "
                  "trains every weight: set adapter: lora, prompt_tuning, p_tuning or prefix_tuning")
    _new_tokens(conv, f"{m}.embeddings_initialization_strategy")
    _special_tokens(conv)
    settings = conv.section("tokenizer_settings")
    conv.exact("tokenizer_settings.tokenizer_path", "tokenizer_config")
    if settings == {}:
        conv.same("tokenizer_settings", "empty: the model's own tokenizer")


def _new_tokens(conv: Conversion, key: str) -> None:
    """Its keys are added as new tokens, each starting at the embedding of the text mapped to it."""
    tokens = conv.get(key)
    if not isinstance(tokens, dict) or not tokens:
        return
    conv.set("tokens", list(tokens), key)
    phrases = [text for text in tokens.values() if isinstance(text, str) and " " in text.strip()]
    conv.approx(key, "new_token_init_from", tokens,
                "the keys are added as tokens (turbo-alignment adds them as special tokens: the same ids, but "
                "decoding that skips special tokens drops them there) and each new input and LM-head embedding row "
                "starts at the named token's; turbo-alignment's loader copies the input row, and the LM-head row "
                "only for GPT-NeoX models (elsewhere that row is transformers' random draw near the mean)"
                + ("; a phrase starts at the mean of its tokens, as its guide says, where its loader takes the "
                   "phrase's first token" if phrases else ""))


def _special_tokens(conv: Conversion) -> None:
    """turbo-alignment sets bos/eos/pad/unk/sep only where the tokenizer has none; null means leave it."""
    key = "special_tokens_settings"
    settings = conv.get(key)
    if not isinstance(settings, dict) or not settings:
        conv.same(key, "empty: the tokenizer's own special tokens")
        return
    named = {name: token for name, token in settings.items() if token is not None}
    for name in settings.keys() - named.keys():
        conv.same(f"{key}.{name}", "null: no token is set")
    if named:
        conv.approx(key, "special_tokens", named,
                    "tunedeck sets these on the tokenizer even where it has its own; turbo-alignment adds each only "
                    "where the tokenizer has none (the same result when the tokenizer already uses these tokens "
                    "or lacks them)")


def _data(conv: Conversion, part: str, data_type: str) -> None:
    settings = conv.section(part)
    if not settings:
        return
    chat = conv.section(f"{part}.chat_settings")
    base = f"{part}.chat_settings" if chat else part
    method = METHODS.get(data_type, "unknown")
    if method == "unknown":
        conv.drop(f"{part}.dataset_type", f"'{data_type}' data trains something other than a causal LM "
                  "(classification, reward model, ...): tunedeck trains SFT and preference methods only")
    elif method:
        loss = conv.get("trainer_settings.loss_settings.loss_type")
        chosen = LOSS_TYPES.get(str(loss), method) if method == "dpo" and loss else method
        conv.approx(f"{part}.dataset_type", "rl", chosen, f"{data_type} data trains with rl: {chosen}")
        if loss:
            if str(loss) in LOSS_TYPES:
                conv.exact("trainer_settings.loss_settings.loss_type", "rl", chosen)
            else:
                conv.drop("trainer_settings.loss_settings", f"loss type '{loss}' is not one of tunedeck's methods")
    else:
        conv.same(f"{part}.dataset_type", "chat: supervised fine-tuning on conversations")
    datasets = _sources(conv, part, method)
    template = conv.get(f"{base}.prompt_template")
    if isinstance(template, dict):
        conv.approx(f"{base}.prompt_template", "chat_template", "jinja",
                    "rendered by an equivalent Jinja template (prefix_template with {role} set from "
                    "role_tag_mapping, the content, suffix_template, per message), in chat_template_jinja")
        conv.preset["chat_template_jinja"] = prompt_template_jinja(template)
    conv.exact(f"{base}.max_tokens_count", "sequence_len")
    if conv.has(f"{base}.max_tokens_count"):
        conv.preset["excess_length_strategy"] = "truncate"
    if conv.get(f"{base}.keep_end"):
        conv.report.add(f"{base}.keep_end", "exact", "datasets[].keep_dialogue_end",
                        "a long dialogue keeps its end: whole messages are cut from its start (a leading system "
                        "message is kept)")
        conv.handled(f"{base}.keep_end")
        for entry in datasets:
            entry["keep_dialogue_end"] = True
    else:
        conv.same(f"{base}.keep_end", "long dialogues are cut at the end")
    only_answer = conv.get(f"{part}.only_answer_loss", conv.get(f"{base}.only_answer_loss"))
    for key in (f"{part}.only_answer_loss", f"{base}.only_answer_loss"):
        if conv.pending(key):
            conv.handled(key)
            if only_answer:
                conv.report.add(key, "exact", "datasets[].train_last_turn_only",
                                "only the last message is learned, whatever its role (every role in roles_to_train)")
            else:
                conv.report.add(key, "exact", "datasets[].roles_to_train", "every message is learned")
            for entry in datasets:
                entry["roles_to_train"] = ["system", "user", "assistant"]
                if only_answer:
                    entry["train_last_turn_only"] = True
    if conv.get(f"{part}.add_labels"):
        conv.same(f"{part}.add_labels", "labels are built from the masking")
    if datasets:
        conv.preset["datasets"] = datasets


def _sources(conv: Conversion, part: str, method: str | None, target: str = "datasets") -> list[dict[str, Any]]:
    sources = conv.get(f"{part}.sources")
    if sources is None:
        conv.problems.append(f"{conv.source.where(part)}: {part}.sources: no data sources: a dataset needs "
                             "sources with records_path.")
        return []
    if not isinstance(sources, list):
        conv.problems.append(f"{conv.source.where(part + '.sources')}: {part}.sources: expected a list of "
                             f"sources, found {sources!r}.")
        conv.handled(f"{part}.sources")
        return []
    conv.handled(f"{part}.sources")
    out = []
    for i, src in enumerate(sources):
        key = f"{part}.sources.{i}"
        if not isinstance(src, dict) or not isinstance(src.get("records_path"), str):
            conv.problems.append(f"{conv.source.where(part + '.sources')}: {key}: a source needs records_path "
                                 "(the JSONL file of records).")
            continue
        entry: dict[str, Any] = {"path": src["records_path"], "ds_type": "json"}
        if method is None:
            entry.update(type="chat_template", roles={ROLES[r]: [r] for r in ROLES})
        elif method == "dpo":
            entry.update(type="chat_template.default", field_messages="context", field_chosen="answer_w",
                         field_rejected="answer_l", roles={ROLES[r]: [r] for r in ROLES})
        elif method == "kto":
            entry.update(type="chat_template.default", field_messages="context", field_completion="answer",
                         field_label="is_desirable", roles={ROLES[r]: [r] for r in ROLES})
        conv.report.add(f"{key}.records_path", "exact", f"{target}[{i}].path", ROW_FIELDS.get(method or "", ""))
        _sampling(conv, key, src, entry, f"{target}[{i}]")
        out.append(entry)
    return out


def _sampling(conv: Conversion, key: str, src: dict[str, Any], entry: dict[str, Any], where: str) -> None:
    """turbo-alignment reads sample_rate first (each record kept with that probability), else num_samples."""
    rate, count = src.get("sample_rate"), src.get("num_samples")
    if rate is not None and count is not None:
        conv.report.add(f"{key}.num_samples", "not carried over", "",
                        "turbo-alignment ignores num_samples when sample_rate is set")
    if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate >= 1:
        conv.report.add(f"{key}.sample_rate", "exact", "(tunedeck's default)", "every record is used")
    elif rate is not None:
        entry["sample_rate"] = rate
        conv.report.add(f"{key}.sample_rate", "approximated", f"{where}.sample_rate",
                        "tunedeck keeps round(sample_rate × rows) rows picked with seed; turbo-alignment keeps "
                        "each record with that probability, so its count varies around the same number")
    elif count is not None:
        entry["num_samples"] = count
        conv.report.add(f"{key}.num_samples", "exact", f"{where}.num_samples",
                        "that many records picked at random (all of them if the source has fewer)")


def prompt_template_jinja(template: dict[str, Any]) -> str:
    """A Jinja chat template that renders what turbo-alignment's prompt_template renders, per message:
    prefix_template with {role} → role_tag_mapping[role], then the content, then suffix_template."""
    mapping = template.get("role_tag_mapping") or {}
    tags = {ROLES.get(role, role): tag for role, tag in mapping.items()}
    prefix = str(template.get("prefix_template", "{role}"))
    suffix = str(template.get("suffix_template", ""))
    before, _, after = prefix.partition("{role}")
    tag_table = "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in tags.items()) + "}"
    return (f"{{% set tags = {tag_table} %}}"
            "{% for message in messages %}"
            f"{{{{ {lit(before)} + tags[message['role']] + {lit(after)} + message['content'] + {lit(suffix)} }}}}"
            "{% endfor %}"
            f"{{% if add_generation_prompt %}}{{{{ {lit(before)} + tags['assistant'] + {lit(after)} }}}}{{% endif %}}")


def lit(text: str) -> str:
    """``text`` as a Jinja string literal."""
    return json.dumps(text, ensure_ascii=False)


def _validation(conv: Conversion, data_type: str) -> None:
    """Its validation sources become test_datasets (conversations, or pairs / KTO rows in the training data's
    row shape), read with the training data's template, length and loss settings."""
    part, method = "val_dataset_settings", METHODS.get(data_type, "unknown")
    settings = conv.section(part)
    train = conv.preset.get("datasets")
    if method == "unknown" or not train or not isinstance(settings.get("sources"), list):
        conv.separate_validation(part)
        return
    shared = {k: v for k, v in train[0].items() if k not in ("path", "sample_rate", "num_samples")}
    tests = [{**copy.deepcopy(shared), **entry} for entry in _sources(conv, part, method, "test_datasets")]
    if tests:
        conv.preset.update(test_datasets=tests, val_set_size=0)
    for name, value in settings.items():
        key = f"{part}.{name}"
        if not conv.pending(key):
            continue
        if value == conv.get(f"train_dataset_settings.{name}"):
            conv.same(key, "as in train_dataset_settings: test_datasets are read like datasets")
        else:
            conv.drop(key, "differs from train_dataset_settings: tunedeck reads test_datasets with the training "
                      "data's template, length and loss settings")


def _trainer(conv: Conversion) -> None:
    convert_training_args(conv, "trainer_settings")
    for key, why in (("trainer_settings.sync_ref_settings", "the reference model stays frozen in tunedeck"),
                     ("trainer_settings.use_sft_model", "the reference is the starting model")):
        conv.drop(key, why)


def _generation(conv: Conversion) -> None:
    gen = "cherry_pick_settings.generator_transformers_settings"
    for name, target in (("num_beams", "inference_num_beams"), ("do_sample", "inference_do_sample"),
                         ("max_new_tokens", "inference_max_new_tokens"),
                         ("repetition_penalty", "inference_repetition_penalty"),
                         ("temperature", "inference_temperature"), ("top_p", "inference_top_p"),
                         ("top_k", "inference_top_k")):
        conv.exact(f"{gen}.{name}", target, note="tunedeck's sample answers use the same generation settings")
    stops = conv.get(f"{gen}.stop_strings")
    if stops is not None:
        conv.exact(f"{gen}.stop_strings", "inference_stop_strings", [stops] if isinstance(stops, str) else stops)
    conv.drop("cherry_pick_settings.dataset_settings", "tunedeck's sample answers read prompts from "
              "sample_prompts_file (one prompt a line), not a dataset")
    conv.drop("cherry_pick_settings.metric_settings", "tunedeck reports eval loss, not these metrics")


def _logging(conv: Conversion) -> None:
    conv.exact("logging_settings.project_name", "wandb_project")
    conv.exact("logging_settings.run_name", "wandb_name")
    conv.exact("logging_settings.entity", "wandb_entity")
    if conv.has("log_path") and "output_dir" not in conv.preset:
        conv.approx("log_path", "output_dir", conv.get("log_path"), "where the run's files go")
