"""SiloGen finetuning's ``data_conf`` (and what decides its labels) → the preset's datasets, template and mixing.

Facts from silogen/llm-finetuning: src/finetuning/data/setup.py (CONCATENATION concatenates; PRECOMPUTE_WEIGHTED_MIX
interleaves by weight until every row is drawn, weights left at 1.0 take turns, weight 0 skips the source),
chat_templates.py (the template names and the special tokens each adds) and sft.py (every token is learned unless
train_on_completions_only).
"""

from __future__ import annotations

from typing import Any

from .conversion import Conversion

# SiloGen chat_template_name → tunedeck's template rendering the same text.
TEMPLATES = {"chat-ml": "chatml", "mistral-with-system": "mistral-with-system", "poro": "poro",
             "simplified-llama31": "simplified-llama31", "keep-original": "tokenizer_default"}
DEFAULT_TEMPLATE = "mistral-with-system"
MIX_SEED = 19851243  # WeightedMixDataInput's default seed
# SiloGen's DPO rows: message lists for the prompt and for each answer.
PREFERENCE_ROWS = {"type": "chat_template.default", "field_messages": "prompt_messages",
                   "field_chosen": "chosen_messages", "field_rejected": "rejected_messages"}
_BOS_EOS = ("SiloGen tokenizes the rendered text with the tokenizer's own BOS/EOS on (Llama- and Mistral-style "
            "tokenizers then add a BOS before and an EOS after each row), tunedeck adds nothing beyond the template")


def convert_data(conv: Conversion, method: str) -> None:
    d = "data_conf"
    _template(conv, d)
    if method == "sft":
        _labels(conv)
    if conv.get(f"{d}.padding_side", "right") == "right":
        conv.same(f"{d}.padding_side", "right padding")
    _pad_token(conv, d)
    training = conv.section(f"{d}.training_data", required=True)
    entries = training.get("datasets")
    if not isinstance(entries, list) or not entries:
        if training:
            conv.problems.append(f"{conv.source.where(d + '.training_data')}: {d}.training_data.datasets: "
                                 "expected a list of datasets with path.")
        return
    conv.handled(f"{d}.training_data")
    datasets = _datasets(conv, entries, method)
    if datasets is None:
        return
    conv.preset["datasets"] = [row for row, _ in datasets]
    _mixing(conv, training, [weight for _, weight in datasets])
    _validation(conv, d, method)


def _template(conv: Conversion, d: str) -> None:
    key = f"{d}.chat_template_name"
    name = conv.get(key, DEFAULT_TEMPLATE)
    if name not in TEMPLATES:
        conv.drop(key, f"'{name}' is not one of SiloGen's templates ({', '.join(TEMPLATES)})")
        return
    note = "the same text" if name != "keep-original" else "the tokenizer's own template"
    if name == "chat-ml":  # SiloGen adds its markers as special tokens; listed under tokens they are one id each
        conv.preset["tokens"] = ["<|im_start|>", "<|im_end|>"]
        note += "; <|im_start|> and <|im_end|> are added to the vocabulary (tokens) as SiloGen adds them"
    if name == "simplified-llama31":  # its turns end with <|eot_id|>, not EOS: that is the token to learn
        conv.preset["eot_tokens"] = ["<|eot_id|>"]
        note += "; eot_tokens [<|eot_id|>] so its end of turn is learned"
    if name != "keep-original":
        note += f" ({_BOS_EOS})"
    if conv.has(key):
        conv.exact(key, "chat_template", TEMPLATES[name], note)
    elif conv.set("chat_template", TEMPLATES[name], key):
        conv.report.add(key, "exact", "chat_template", f"unset: SiloGen's default, {DEFAULT_TEMPLATE}; {note}")


def _labels(conv: Conversion) -> None:
    """SiloGen's SFT learns every token (its collator only masks padding) unless train_on_completions_only."""
    key = "sft_args.train_on_completions_only"
    if conv.get(key, False) is not True:
        conv.handled(key)
        if conv.set("train_on_inputs", True, key):
            conv.report.add(key, "approximated", "train_on_inputs",
                            "false (SiloGen's default): SiloGen learns every token but the padding; tunedeck then "
                            "learns every message's content and end-of-turn token, not the role markers around them")
        return
    conv.handled(key)
    conv.report.add(key, "approximated", "datasets[].roles_to_train",
                    "the assistant's turns and their end-of-turn token are learned (tunedeck's default); SiloGen's "
                    "collator also learns the assistant header before each answer (e.g. <|im_start|>assistant)")


def _pad_token(conv: Conversion, d: str) -> None:
    """SiloGen's strategy names are tunedeck's; an unset one is SiloGen's default, bos-repurpose, written out."""
    key = f"{d}.missing_pad_token_strategy"
    if conv.has(key):
        conv.exact(key, "missing_pad_token_strategy")
    elif conv.set("missing_pad_token_strategy", "bos-repurpose", key):
        conv.report.add(key, "exact", "missing_pad_token_strategy", "unset: SiloGen's default, bos-repurpose")


def _datasets(conv: Conversion, entries: list[Any], method: str, part: str = "training_data",
              target: str = "datasets") -> list[tuple[dict[str, Any], float]] | None:
    """(preset entry, sampling_weight) per source of ``data_conf.PART`` (written to the preset's ``target``); a
    source of weight 0 is left out, as SiloGen skips it."""
    at = f"data_conf.{part}.datasets"
    out: list[tuple[dict[str, Any], float]] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            conv.problems.append(f"{conv.source.where(at)}: {at}.{i}: a dataset needs a path.")
            continue
        weight = entry.get("sampling_weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            conv.problems.append(f"{conv.source.where(at)}: {at}.{i}.sampling_weight: {weight!r} is not a weight "
                                 "(a number, 0 or more).")
            continue
        if weight == 0:
            conv.report.add(f"{at}.{i}", "not carried over", "", "sampling_weight 0: SiloGen skips this source")
            continue
        j = len(out)
        if method == "dpo":
            out.append(({"path": entry["path"], **PREFERENCE_ROWS, "ds_type": "json"}, float(weight)))
            conv.report.add(f"{at}.{i}.path", "exact", f"{target}[{j}].path",
                            "preference rows through chat_template.default: field_messages prompt_messages, "
                            "field_chosen chosen_messages, field_rejected rejected_messages (each answer is the "
                            "last message of its list)")
        else:
            out.append(({"path": entry["path"], "type": "chat_template", "ds_type": "json"}, float(weight)))
            conv.report.add(f"{at}.{i}.path", "exact", f"{target}[{j}].path", "messages rows through the chat template")
    if not out:
        conv.problems.append(f"{conv.source.where(at)}: {at}: no dataset with a path and a weight above 0.")
        return None
    return out


def _mixing(conv: Conversion, training: dict[str, Any], weights: list[float]) -> None:
    at = "data_conf.training_data"
    kind = training.get("type", "CONCATENATION")
    if kind != "PRECOMPUTE_WEIGHTED_MIX" or len(weights) == 1:
        why = "every source's rows, concatenated" if kind != "PRECOMPUTE_WEIGHTED_MIX" else \
            "one source: its rows once, as its mix would give them"
        conv.report.add(f"{at}.type", "exact", "dataset_mixing", f"concatenate (tunedeck's default): {why}")
        return
    conv.preset["dataset_mixing"] = "weighted"
    if not conv.set("dataset_mixing_seed", training.get("seed", MIX_SEED), f"{at}.seed"):
        return
    for entry, weight in zip(conv.preset["datasets"], weights, strict=True):
        if weight != 1.0:
            entry["sampling_weight"] = weight
    if len(set(weights)) == 1 and weights[0] != 1.0:
        conv.report.add(f"{at}.type", "approximated", "dataset_mixing",
                        f"weighted with equal weights ({weights[0]}): tunedeck's sources take turns; SiloGen draws "
                        "them at random with equal chances (turns only when every weight is 1.0): the same share "
                        "of each source, a different order and a slightly different row count")
    else:
        conv.report.add(f"{at}.type", "exact", "dataset_mixing",
                        "weighted: sources drawn by sampling_weight until every row of every source has been "
                        "drawn, with SiloGen's draws. Both mix the rows that fit: SiloGen drops rows longer than "
                        "max_seq_length after mixing, tunedeck before, so the counts agree when no row is too long")
    conv.report.add(f"{at}.seed", "exact", "dataset_mixing_seed",
                    "" if "seed" in training else f"unset: SiloGen's default, {MIX_SEED}")
    for i, entry in enumerate(training["datasets"]):
        if isinstance(entry, dict) and "sampling_weight" in entry and entry["sampling_weight"]:
            conv.report.add(f"{at}.datasets.{i}.sampling_weight", "exact", "datasets[].sampling_weight")


def _validation(conv: Conversion, d: str, method: str) -> None:
    val = conv.section(f"{d}.validation_data")
    vtype = val.get("type")
    if vtype == "CONCATENATION" and isinstance(val.get("datasets"), list) and val["datasets"]:
        # Its own files, every row of them: test_datasets, read like the training sources.
        converted = _datasets(conv, val["datasets"], method, "validation_data", "test_datasets")
        if converted is not None:
            conv.preset["test_datasets"] = [row for row, _ in converted]
            conv.report.add(f"{d}.validation_data.type", "exact", "test_datasets",
                            "every row of these files is the validation set, as SiloGen concatenates them")
        conv.handled(f"{d}.validation_data")
        return
    if vtype == "AUTO_SPLIT":
        ratio = val.get("ratio", 0.2)
        if conv.preset.get("dataset_mixing") == "weighted":
            conv.approx(f"{d}.validation_data.ratio", "val_set_size", ratio, "SiloGen splits the mixed rows (a "
                        "repeated row can land on both sides); tunedeck splits the sources' rows, then mixes")
        else:
            conv.exact(f"{d}.validation_data.ratio", "val_set_size", ratio)
        conv.handled(f"{d}.validation_data")
    elif vtype in ("NONE", None):
        conv.same(f"{d}.validation_data", "no validation")
    else:
        conv.separate_validation(f"{d}.validation_data")
