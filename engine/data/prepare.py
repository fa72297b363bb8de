"""prepare_datasets: read every dataset entry, tokenize, handle long rows, split, pack, cache."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from . import arrow, cache, mixing
from .errors import DataError
from .sampling import load_sampled
from .sources import resolve_source
from .test_entries import for_entry
from .tokenized import Tokenized, count_trained
from .vision import VisionRows, is_vision, load_processor


@dataclass
class PreparedData:
    train: Any  # datasets.Dataset
    eval: Any | None  # datasets.Dataset or None
    stats: dict[str, Any]
    rows: Any = None  # datasets.Dataset: every kept row, unpacked, in source order (input_ids, labels, dataset)
    cache_dir: str | None = None
    cache_hit: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def tokenize_entry(rows: Any, ds: Any, cfg: Any, tokenizer: Any, index: int, num_proc: int | None = None) -> Tokenized:
    chained = ds.type == "prompt_answer" and ds.parent_id_column  # a chain may span the workers' slices
    if num_proc and num_proc > 1 and len(rows.rows) >= 2000 and not chained:
        from .parallel import tokenize_parallel
        return tokenize_parallel(tokenize_one, rows, ds, cfg, tokenizer, index, num_proc)
    return tokenize_one(rows, ds, cfg, tokenizer, index)


def tokenize_one(rows: Any, ds: Any, cfg: Any, tokenizer: Any, index: int) -> Tokenized:
    if ds.type == "completion":
        from .completion import tokenize_completion
        return tokenize_completion(rows, ds, cfg, tokenizer)
    if ds.type == "input_output":
        from .input_output import tokenize_input_output
        return tokenize_input_output(rows, ds, cfg, tokenizer)
    if ds.type.partition(":")[0] == "alpaca":  # alpaca, alpaca:chat, alpaca:phi, ...
        from .alpaca import tokenize_alpaca
        return tokenize_alpaca(rows, ds, cfg, tokenizer)
    if ds.type == "jeopardy":
        from .jeopardy import tokenize_jeopardy
        return tokenize_jeopardy(rows, ds, cfg, tokenizer)
    if ds.type == "prompt_answer":
        from .prompt_answer import tokenize_prompt_answer
        return tokenize_prompt_answer(rows, ds, cfg, tokenizer)
    from .chat_template import tokenize_chat
    return tokenize_chat(rows, ds, cfg, tokenizer, index)


def prepare_datasets(cfg: Any, tokenizer: Any, preset_path: str | os.PathLike[str] | None = None, *,
                     num_proc: int | None = None, use_cache: bool = True) -> PreparedData:
    """Tokenized train (and eval) data for ``cfg``, from the cache when nothing that matters changed."""
    import datasets

    from .templates import dataset_template
    from .tokenizer import tokenizer_fingerprint

    if cfg.rl or cfg.reward_model:  # preference or reward pairs (or KTO rows): their own rendering, columns, counts
        from .preference import prepare_preference
        return prepare_preference(cfg, tokenizer, preset_path, use_cache=use_cache)
    datasets.disable_progress_bars()
    if not cfg.datasets:
        raise DataError("no datasets are configured. Add at least one entry under datasets: with a path and a "
                        "type.", key="datasets")
    entries = [*cfg.datasets, *cfg.test_datasets]  # test_datasets' rows follow, as the evaluation set
    refs = [for_entry(i, len(cfg.datasets), resolve_source, ds, preset_path, i)
            for i, ds in enumerate(entries)]
    parts = {
        "tokenizer": tokenizer_fingerprint(tokenizer), "settings": cache.token_settings(cfg),
        "datasets": [{"cfg": ds.model_dump(), "content": ref.fingerprint(),
                      "template": dataset_template(ds, cfg, tokenizer, i) if ds.type == "chat_template" else None}
                     for i, (ds, ref) in enumerate(zip(entries, refs, strict=False))],
        "training_entries": len(cfg.datasets),
    }
    processor = None
    if is_vision(cfg):  # images expand to the model's image tokens: the processor's settings shape the rows
        processor = load_processor(cfg, preset_path, tokenizer)
        parts["processor"] = [type(processor).__name__, processor.image_processor.to_json_string()]
    warnings = _template_warnings(cfg, tokenizer)
    key = cache.cache_key(parts)
    root = cache.prepared_root(cfg, preset_path)
    if use_cache:
        hit = cache.load_entry(root, key)
        if hit is not None:
            return PreparedData(train=hit["train"], eval=hit["eval"], stats={**hit["stats"], "warnings": warnings},
                                rows=hit["rows"], cache_dir=str(cache.entry_path(root, key)), cache_hit=True)

    all_ids: list[list[int]] = []
    all_labels: list[list[int]] = []
    which: list[int] = []
    per_dataset = []
    vision: dict[str, list] = {"text": [], "pictures": []}
    for index, (ds, ref) in enumerate(zip(entries, refs, strict=False)):
        ids, labels, counts, extra = for_entry(index, len(cfg.datasets), _read_entry,
                                               ds, ref, cfg, tokenizer, index, num_proc, processor)
        per_dataset.append(counts)
        all_ids += ids
        all_labels += labels
        which += [index] * len(ids)
        for column, values in extra.items():
            vision[column] += values

    columns: dict[str, list] = {"input_ids": all_ids, "labels": all_labels, "dataset": which}
    rows_ds = arrow.dataset({**columns, **vision} if processor is not None else columns)
    train_idx, eval_idx = train_eval_indices(which, cfg)
    train_idx = mixing.training_rows(train_idx, which, cfg)
    train = _build(rows_ds, all_ids, all_labels, train_idx, cfg, cfg.seed)
    evals = _build(rows_ds, all_ids, all_labels, eval_idx, cfg, cfg.seed + 1) if eval_idx is not None else None
    stats = _stats(per_dataset, all_ids, all_labels, train, evals, cfg)
    stats["train_rows"], stats["eval_rows"] = len(train_idx), len(eval_idx or [])
    stats["mixed_rows"] = mixing.drawn_per_dataset(train_idx, which, cfg)
    stats["warnings"] = warnings
    entry = None
    if use_cache:
        entry = cache.save_entry(root, key, {"rows": rows_ds, "train": train, "eval": evals}, stats)
    return PreparedData(train=train, eval=evals, stats=stats, rows=rows_ds,
                        cache_dir=str(entry) if entry else None, cache_hit=False)


def _read_entry(ds: Any, ref: Any, cfg: Any, tokenizer: Any, index: int, num_proc: int | None,
                processor: Any = None) -> tuple[list[list[int]], list[list[int]], dict[str, Any], dict[str, list]]:
    """The entry's kept ids and labels, its counts, and (a vision run) each kept row's text and images."""
    rows, source_rows = load_sampled(ref, ds, cfg.seed, index)
    try:
        if processor is not None:
            from .vision import tokenize_vision
            tok: Tokenized = tokenize_vision(rows, ds, cfg, tokenizer, processor, index)
        else:
            tok = tokenize_entry(rows, ds, cfg, tokenizer, index, num_proc)
    except DataError as err:
        raise _scoped(err, index) from None
    ids, labels, counts, kept = fit_lengths(tok, cfg)
    counts = {"path": ds.path, "type": ds.type, "source_rows": source_rows,
              "sampled_out": source_rows - len(rows.rows), **counts}
    if not ids:
        raise _nothing_left(index, ref.label, counts, cfg)
    extra: dict[str, list] = {}
    if isinstance(tok, VisionRows):
        extra = {"text": [tok.texts[i] for i in kept], "pictures": [tok.images[i] for i in kept]}
    return ids, labels, counts, extra


def train_eval_indices(which: list[int], cfg: Any) -> tuple[list[int], list[int] | None]:
    """Rows of test_datasets (entries past datasets) are the evaluation set; else val_set_size splits."""
    if cfg.test_datasets:
        first_test = len(cfg.datasets)
        return ([i for i, w in enumerate(which) if w < first_test],
                [i for i, w in enumerate(which) if w >= first_test])
    return split_indices(len(which), cfg.val_set_size, cfg.seed)


def _template_warnings(cfg: Any, tokenizer: Any) -> list[str]:
    from .chat_template import template_warnings

    return [warning for i, ds in enumerate(cfg.datasets) if ds.type == "chat_template"
            for warning in template_warnings(ds, cfg, tokenizer, i)]


def _scoped(err: DataError, index: int) -> DataError:
    """Name a dataset-level key with its entry (field -> datasets.1.field)."""
    from engine.knobs.datasets import DatasetConfig

    if err.key in DatasetConfig.model_fields:
        err.key = f"datasets.{index}.{err.key}"
    return err


# Counts of rows dropped (or cut) on the way, in the order they happen; summed over datasets in the stats.
ROW_COUNTS = ("sampled_out", "empty_text", "cut_documents", "cut_tokens", "too_short", "dropped", "truncated",
              "no_trained_tokens")


def fit_lengths(tok: Tokenized, cfg: Any) -> tuple[list[list[int]], list[list[int]], dict[str, int], list[int]]:
    """Axolotl's order: drop rows shorter than min_sample_len, then apply excess_length_strategy; then drop rows
    with nothing to learn. Count what happened; also say which rows were kept. A vision row is never cut (its
    image tokens must stay whole): it is dropped."""
    limit = cfg.sequence_len
    truncate = cfg.excess_length_strategy == "truncate" and not isinstance(tok, VisionRows)
    ids_out, labels_out, kept = [], [], []
    too_short = dropped = truncated = untrained = 0
    for row, (ids, labels) in enumerate(zip(tok.input_ids, tok.labels, strict=False)):
        if len(ids) < cfg.min_sample_len:
            too_short += 1
            continue
        if len(ids) > limit:
            if not truncate:
                dropped += 1
                continue
            ids, labels = ids[:limit], labels[:limit]
            truncated += 1
        if not count_trained([labels]):
            # They cost compute and teach nothing. Axolotl drops them only with sample_packing (its
            # drop_no_trainable_tokens runs in process_datasets_for_packing); tunedeck always does.
            untrained += 1
            continue
        ids_out.append(ids)
        labels_out.append(labels)
        kept.append(row)
    return ids_out, labels_out, {
        "rows": len(ids_out), "empty_text": tok.empty_text, "cut_documents": tok.cut_documents,
        "cut_tokens": tok.cut_tokens, "too_short": too_short, "dropped": dropped,
        "truncated": truncated + tok.truncated,
        "no_trained_tokens": untrained, "tokens": sum(map(len, ids_out)), "trained_tokens": count_trained(labels_out),
    }, kept


def _nothing_left(index: int, label: str, counts: dict[str, int], cfg: Any) -> DataError:
    if counts["empty_text"] == counts["source_rows"] - counts["sampled_out"]:
        return DataError(
            f"every row of dataset {index} ('{label}') has empty text ({counts['empty_text']} rows), so there is "
            "nothing to train on. Check that field: names the column holding the text.",
            key=f"datasets.{index}.field")
    if counts["too_short"] and not (counts["dropped"] or counts["no_trained_tokens"]):
        return DataError(
            f"all {counts['too_short']} rows of dataset {index} ('{label}') are shorter than min_sample_len "
            f"({cfg.min_sample_len} tokens) and were dropped. Lower min_sample_len (1 keeps every row).",
            key="min_sample_len")
    if counts["dropped"]:
        return DataError(
            f"all {counts['dropped']} rows of dataset {index} ('{label}') that had anything to learn are longer "
            f"than sequence_len ({cfg.sequence_len}) and were dropped. Raise sequence_len, or set "
            "excess_length_strategy: truncate to keep their beginnings.", key="sequence_len")
    return DataError(
        f"no row of dataset {index} ('{label}') has any token to learn ({counts['no_trained_tokens']} rows with "
        "every label masked). Check roles_to_train / roles (the assistant's role name in your data) or "
        "train_on_inputs.", key=f"datasets.{index}.roles_to_train")


def split_indices(n: int, val_set_size: float, seed: int) -> tuple[list[int], list[int] | None]:
    """datasets' train_test_split(test_size, shuffle=True, seed) semantics: a fraction (< 1) or a row count."""
    if not val_set_size:
        return list(range(n)), None
    import datasets

    size: float | int = int(val_set_size) if val_set_size >= 1 else float(val_set_size)
    try:
        parts = datasets.Dataset.from_dict({"i": list(range(n))}).train_test_split(
            test_size=size, shuffle=True, seed=seed)
    except ValueError as err:
        raise DataError(f"val_set_size {val_set_size} does not fit the {n} prepared rows: {err} Lower it (a "
                        "fraction below 1, or a row count smaller than the data).", key="val_set_size") from None
    return list(parts["train"]["i"]), list(parts["test"]["i"])


def _build(rows_ds: Any, ids: list[list[int]], labels: list[list[int]], index: list[int], cfg: Any,
           seed: int) -> Any:
    if cfg.sample_packing:
        from .packing import pack_rows
        packed = pack_rows([ids[i] for i in index], [labels[i] for i in index], cfg.sequence_len, seed)
        return arrow.dataset(packed)
    picked = rows_ds if len(index) == len(rows_ds) and index == list(range(len(rows_ds))) else rows_ds.select(index)
    return picked.remove_columns("dataset")


def _stats(per_dataset: list[dict], ids: list, labels: list, train: Any, evals: Any, cfg: Any) -> dict[str, Any]:
    from .packing import efficiency

    tokens = sum(map(len, ids))
    packing = None
    if cfg.sample_packing:
        packing = efficiency(sum(map(len, train["input_ids"])), len(train), cfg.sequence_len)
    return {
        "source_rows": sum(d["source_rows"] for d in per_dataset),
        "rows": len(ids),
        **{key: sum(d[key] for d in per_dataset) for key in ROW_COUNTS},
        "tokens": tokens,
        "longest_row": max(map(len, ids), default=0),  # unpacked batches are padded to their longest row
        "trained_tokens": count_trained(labels),
        "sequence_len": cfg.sequence_len,
        "min_sample_len": cfg.min_sample_len,
        "sample_packing": cfg.sample_packing,
        "packed_sequences": len(train) if cfg.sample_packing else None,
        "eval_packed_sequences": len(evals) if cfg.sample_packing and evals is not None else None,
        "packing_efficiency": packing,
        "datasets": per_dataset,
    }
