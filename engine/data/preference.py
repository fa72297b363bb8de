"""Preference data (``rl:``): rendered rows → the token ids trl's preference trainers take, lengths fitted, counted.

Tokenized as trl's DPO/KTO trainers tokenize text rows (trl/trainer/dpo_trainer.py ``_prepare_dataset``): the EOS
token is appended to each answer that does not end with it; the prompt, prompt + chosen and prompt + rejected are
tokenized with the tokenizer's special tokens, and the answers start where the prompt's ids and each whole
sequence's ids first differ. The trainer gets exactly these ids (its own preparation is skipped), so
``preprocess --export`` and ``preview`` show what it trains on.

Lengths: a prompt longer than ``max_prompt_len`` keeps its last tokens; a pair whose prompt + longer answer exceeds
``sequence_len`` is dropped (``excess_length_strategy`` drop, Axolotl's default) or its answers are cut to fit
(truncate; a pair whose prompt alone fills sequence_len is dropped), as Axolotl's ``_drop_long_sequences`` /
``_truncate_long_sequences_rl`` do. Every cut and drop is counted in the stats.

Columns: pairs ``prompt_ids``, ``chosen_ids``, ``rejected_ids``; KTO ``prompt_ids``, ``completion_ids``,
``label``. ``rows`` (for export and preview) adds the rendered strings and the dataset index.

Reward-model pairs (``reward_model``, type ``bradley_terry.chat_template``, rendered by reward_formats) take the
same path with two differences, as trl's RewardTrainer and Axolotl tokenize whole conversations: no EOS is appended
(the template closes each turn) and the tokenizer adds no special tokens (the template writes them), so prompt ids
+ an answer's ids are exactly the rendered conversation's ids.
"""

from __future__ import annotations

import os
from typing import Any

from . import arrow, cache, mixing
from .errors import DataError
from .preference_formats import PreferenceRow, render
from .reward_formats import render_bradley_terry
from .sampling import load_sampled
from .sources import resolve_source
from .test_entries import for_entry

FORMAT = 1  # bump when rendering or tokenizing preference rows changes


def is_kto(cfg: Any) -> bool:
    return cfg.rl == "kto"


def kind(cfg: Any) -> str:
    """What the pairs train: the rl method, or "reward_model"."""
    return "reward_model" if cfg.reward_model else str(cfg.rl)


def prepare_preference(cfg: Any, tokenizer: Any, preset_path: str | os.PathLike[str] | None = None, *,
                       use_cache: bool = True) -> Any:
    """PreparedData for a preference run: train/eval with the trainer's columns, rows, stats, cache. The rows of
    test_datasets (read like datasets, entries numbered after them) are the evaluation set when there are any."""
    import datasets

    from .prepare import PreparedData, train_eval_indices
    from .templates import dataset_template
    from .tokenizer import tokenizer_fingerprint

    datasets.disable_progress_bars()
    if not cfg.datasets:
        raise DataError("no datasets are configured. Add at least one entry under datasets: with a path and a "
                        "preference type (e.g. chat_template.default).", key="datasets")
    entries, first_test = [*cfg.datasets, *cfg.test_datasets], len(cfg.datasets)
    refs = [for_entry(i, first_test, resolve_source, ds, preset_path, i) for i, ds in enumerate(entries)]
    templates = [for_entry(i, first_test, dataset_template, ds, cfg, tokenizer, i)
                 if "chat_template" in ds.type.split(".") else None for i, ds in enumerate(entries)]
    parts = {"preference": FORMAT, "rl": kind(cfg), "tokenizer": tokenizer_fingerprint(tokenizer),
             "settings": cache.token_settings(cfg),
             "datasets": [{"cfg": ds.model_dump(), "content": ref.fingerprint(), "template": t}
                          for ds, ref, t in zip(entries, refs, templates, strict=False)],
             "training_entries": first_test}
    key = cache.cache_key(parts)
    root = cache.prepared_root(cfg, preset_path)
    if use_cache:
        hit = cache.load_entry(root, key)
        if hit is not None:
            return PreparedData(train=hit["train"], eval=hit["eval"], stats=hit["stats"], rows=hit["rows"],
                                cache_dir=str(cache.entry_path(root, key)), cache_hit=True)

    columns: dict[str, list] = {}
    per_dataset = [for_entry(index, first_test, _read_entry, ds, ref, template, cfg, tokenizer, index, columns)
                   for index, (ds, ref, template) in enumerate(zip(entries, refs, templates, strict=False))]
    which = columns["dataset"]
    if is_kto(cfg):
        _check_kto_labels([label for label, w in zip(columns["label"], which, strict=True) if w < first_test])

    rows_ds = arrow.dataset(columns)
    train_idx, eval_idx = train_eval_indices(which, cfg)
    train_idx = mixing.training_rows(train_idx, which, cfg)
    trainer_columns = [c for c in rows_ds.column_names if c.endswith("_ids") or c == "label"]
    train = rows_ds.select(train_idx).select_columns(trainer_columns)
    evals = rows_ds.select(eval_idx).select_columns(trainer_columns) if eval_idx is not None else None
    stats = _stats(per_dataset, columns, cfg, len(train_idx), len(eval_idx or []))
    stats["mixed_rows"] = mixing.drawn_per_dataset(train_idx, which, cfg)
    entry = cache.save_entry(root, key, {"rows": rows_ds, "train": train, "eval": evals}, stats) if use_cache else None
    return PreparedData(train=train, eval=evals, stats=stats, rows=rows_ds, cache_dir=str(entry) if entry else None)


def _read_entry(ds: Any, ref: Any, template: str | None, cfg: Any, tokenizer: Any, index: int,
                columns: dict[str, list]) -> dict[str, Any]:
    """Entry ``index``'s rows rendered, tokenized and fitted, appended to ``columns``; its counts."""
    rows, source_rows = load_sampled(ref, ds, cfg.seed, index)
    counts = {"path": ds.path, "type": ds.type, "source_rows": source_rows, "rows": 0, "dropped": 0,
              "sampled_out": source_rows - len(rows.rows), "truncated": 0, "prompt_truncated": 0}
    for row, loc in zip(rows.rows, rows.locs, strict=False):
        try:
            rendered = render_bradley_terry(row, loc, template or "", tokenizer) if cfg.reward_model \
                else render(row, loc, ds, is_kto(cfg), template, tokenizer)
        except DataError as err:
            raise _scoped(err, index) from None
        kept = fit(tokenize(rendered, tokenizer, whole=cfg.reward_model), cfg, counts)
        if kept is not None:
            for name, value in {**kept, **_strings(rendered), "dataset": index}.items():
                columns.setdefault(name, []).append(value)
            counts["rows"] += 1
    if not counts["rows"]:
        raise DataError(f"every row of dataset {index} ('{ref.label}') is longer than sequence_len "
                        f"({cfg.sequence_len}) and was dropped ({counts['dropped']} rows). Raise sequence_len, "
                        "set max_prompt_len to cut long prompts, or set excess_length_strategy: truncate.",
                        key="sequence_len")
    return counts


def _scoped(err: DataError, index: int) -> DataError:
    if err.key and not err.key.startswith("datasets"):
        err.key = f"datasets.{index}.{err.key}"
    return err


def _strings(r: PreferenceRow) -> dict[str, Any]:
    if r.label is not None:
        return {"prompt": r.prompt, "completion": r.completion}
    return {"prompt": r.prompt, "chosen": r.chosen, "rejected": r.rejected}


def _with_eos(text: str, eos: str | None) -> str:
    """trl appends the EOS token to an answer that does not end with it (text rows)."""
    return text if not eos or text.endswith(eos) else text + eos


def _prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def tokenize(r: PreferenceRow, tokenizer: Any, *, whole: bool = False) -> dict[str, Any]:
    """Token ids as trl's trainers compute them, EOS appended to the answers (and to the stored strings). ``whole``:
    rendered conversations (reward models), tokenized as they are."""
    eos = None if whole else tokenizer.eos_token

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=not whole)["input_ids"]

    prompt_ids = ids(r.prompt)
    if r.label is not None:
        r.completion = _with_eos(r.completion, eos)
        full = ids(r.prompt + r.completion)
        n = _prefix(prompt_ids, full)
        return {"prompt_ids": prompt_ids[:n], "completion_ids": full[n:], "label": r.label}
    r.chosen, r.rejected = _with_eos(r.chosen, eos), _with_eos(r.rejected, eos)
    chosen = ids(r.prompt + r.chosen)
    rejected = ids(r.prompt + r.rejected)
    n = min(_prefix(prompt_ids, chosen), _prefix(prompt_ids, rejected))
    return {"prompt_ids": prompt_ids[:n], "chosen_ids": chosen[n:], "rejected_ids": rejected[n:]}


def _answers(ids: dict[str, Any]) -> list[str]:
    return [k for k in ("chosen_ids", "rejected_ids", "completion_ids") if k in ids]


def fit(ids: dict[str, Any], cfg: Any, counts: dict[str, Any]) -> dict[str, Any] | None:
    """max_prompt_len, then sequence_len per excess_length_strategy; None when the row is dropped."""
    if cfg.max_prompt_len and len(ids["prompt_ids"]) > cfg.max_prompt_len:
        ids["prompt_ids"] = ids["prompt_ids"][-cfg.max_prompt_len:]
        counts["prompt_truncated"] += 1
    room = cfg.sequence_len - len(ids["prompt_ids"])
    longest = max(len(ids[k]) for k in _answers(ids))
    if longest <= room:
        return ids
    if cfg.excess_length_strategy == "truncate" and room > 0:
        for k in _answers(ids):
            ids[k] = ids[k][:room]
        counts["truncated"] += 1
        return ids
    counts["dropped"] += 1
    return None


def _check_kto_labels(labels: list[bool]) -> None:
    desirable = sum(labels)
    if not desirable or desirable == len(labels):
        missing = "undesirable (label: false)" if desirable else "desirable (label: true)"
        raise DataError(f"KTO needs both desirable and undesirable rows, but all {len(labels)} rows are "
                        f"{'desirable' if desirable else 'undesirable'}: add {missing} rows.", key="datasets")


def _stats(per_dataset: list[dict], columns: dict[str, list], cfg: Any, train_rows: int, eval_rows: int) -> dict:
    def total(name: str) -> int:
        return sum(map(len, columns.get(name, [])))

    stats: dict[str, Any] = {
        "preference": kind(cfg), "source_rows": sum(d["source_rows"] for d in per_dataset),
        "rows": len(columns["prompt"]),
        **{k: sum(d[k] for d in per_dataset) for k in ("sampled_out", "dropped", "truncated", "prompt_truncated")},
        "prompt_tokens": total("prompt_ids"), "sequence_len": cfg.sequence_len, "max_prompt_len": cfg.max_prompt_len,
        "train_rows": train_rows, "eval_rows": eval_rows, "datasets": per_dataset, "warnings": [],
    }
    # Unpacked batches are padded to their longest sequence: a prompt with its longer answer (the estimate's length).
    answers = [columns[k] for k in ("chosen_ids", "rejected_ids", "completion_ids") if k in columns]
    stats["longest_row"] = max((len(prompt) + max(len(a[i]) for a in answers)
                                for i, prompt in enumerate(columns.get("prompt_ids", []))), default=0)
    if is_kto(cfg):
        stats["completion_tokens"] = total("completion_ids")
        stats["desirable"] = sum(columns["label"])
        stats["undesirable"] = len(columns["label"]) - stats["desirable"]
        stats["tokens"] = stats["prompt_tokens"] + stats["completion_tokens"]
    else:
        stats["chosen_tokens"], stats["rejected_tokens"] = total("chosen_ids"), total("rejected_ids")
        # Each pair is two sequences (prompt + chosen, prompt + rejected): the tokens the model reads.
        stats["tokens"] = 2 * stats["prompt_tokens"] + stats["chosen_tokens"] + stats["rejected_tokens"]
    return stats
