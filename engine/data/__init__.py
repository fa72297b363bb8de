"""The data pipeline: dataset entries in a preset -> tokenized, labelled (and packed) training data.

API (heavy imports happen inside the functions; importing ``engine.data`` is light):

``prepare_tokenizer(cfg, preset_path=None) -> tokenizer``
    AutoTokenizer for tokenizer_config or base_model (revision_of_model, trust_remote_code), with
    special_tokens/tokens added, a pad token (EOS when missing) and the preset's top-level chat_template set.
    The trainer must resize the model's embeddings to ``len(tokenizer)``.

``prepare_datasets(cfg, tokenizer, preset_path=None, *, num_proc=None, use_cache=True) -> PreparedData``
    ``.train`` / ``.eval`` (``datasets.Dataset``; eval is None when val_set_size is 0) with columns:
      * unpacked: ``input_ids``, ``labels`` (-100 = not learned). No attention_mask: the collator makes it.
      * sample_packing: ``input_ids``, ``labels``, ``position_ids`` (restart at 0 for every packed row), no
        attention_mask (transformers builds the block-diagonal mask from position_ids only when it is absent).
        Each sample is at most sequence_len tokens.
    ``.stats``: source_rows, rows (kept); what was dropped or cut on the way, in Axolotl's order: empty_text
      (completion rows with no text), cut_documents / cut_tokens (completion documents cut at 64 x sequence_len,
      tokens past the cut), too_short (fewer tokens than min_sample_len), dropped (too long), truncated,
      no_trained_tokens (nothing to learn: tunedeck drops these always, Axolotl only with sample_packing);
      tokens, trained_tokens (labels that are not -100, as --export writes them), train_rows, eval_rows,
      sequence_len, min_sample_len, sample_packing, packed_sequences, eval_packed_sequences, packing_efficiency
      (real tokens / (packed_sequences x sequence_len)), datasets (the same counts per entry), warnings
      (chat templates that never write the end-of-turn token, as Axolotl warns; recomputed on a cache hit).
    ``.rows``: every kept row unpacked in source order (input_ids, labels, dataset index) — what --export writes.
    ``.cache_dir`` / ``.cache_hit``: the cache entry used. Cache: ``dataset_prepared_path`` or, by default,
      ``last_run_prepared`` beside output_dir; keyed by data content, tokenizer, template and settings (see
      ``engine.data.cache``). Several ranks may call it at once (entries appear by atomic rename), but letting
      the main process go first (accelerate's main_process_first) avoids duplicated work.
    ``num_proc``: tokenize in that many forked processes (entries of >= 2000 rows); None/1 = in process.
    Raises ``DataError`` (a ``TunedeckError`` with .file/.line/.key) on bad data, before any training.

``engine.data.collate.DataCollator(pad_token_id, pad_to=None, pad_to_multiple_of=None)``
    Pads input_ids (pad id), labels (-100), position_ids (0); adds attention_mask only for unpacked data.
    Use it as the Trainer's data_collator (TRL's collators rebuild labels and would lose our masking).
    Packed batches carry ``use_cache=False``: with a KV cache transformers ignores packed position_ids and rows
    attend to each other (tests/test_data_packing.py shows both). If you call the model yourself on packed
    data, pass use_cache=False (or set model.config.use_cache = False).

``preview(cfg, preset_path=None, n=5, dataset=None, tokenizer=None) -> PreviewResult`` (engine.data.preview_data)
    Examples as segments of (text, trained) plus the stats; ``PreviewResult.to_json()`` is the
    ``tunedeck preview --json`` object.

Types (``datasets[].type``): completion (completion.py), input_output (input_output.py), alpaca (alpaca.py),
jeopardy (jeopardy.py), chat_template (chat_template.py, label semantics of Axolotl's ChatTemplateStrategy).
Named templates: templates.py.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataError", "PreparedData", "PreviewResult", "prepare_datasets", "prepare_tokenizer", "preview"]


def __getattr__(name: str) -> Any:
    if name in ("prepare_datasets", "PreparedData"):
        from . import prepare
        return getattr(prepare, name)
    if name == "prepare_tokenizer":
        from .tokenizer import prepare_tokenizer
        return prepare_tokenizer
    if name in ("preview", "PreviewResult"):
        from . import preview_data
        return getattr(preview_data, name)
    if name == "DataError":
        from .errors import DataError
        return DataError
    raise AttributeError(name)
