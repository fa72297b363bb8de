"""Streamed pretraining data (``pretraining_dataset``): documents read as training consumes them, never whole.

``streamed_train(cfg, tokenizer, preset_path)`` is a ``datasets.IterableDataset`` of full ``sequence_len`` blocks:
each document is tokenized as it is read (the tokenizer's own special tokens, e.g. BOS, then an EOS of ours unless
the tokenizer already ended it with one), the token stream is cut into blocks of exactly ``sequence_len`` tokens
(a document that does not fit continues in the next block; the stream's last, partial block is never served),
and ``labels`` are the input ids: every token is learned. With ``sample_packing`` and ``pretrain_multipack_attn``
(Axolotl's defaults in its examples) each block carries ``position_ids`` that restart at every document start, so
documents in one block do not attend to each other (the collator's packed path, as for packed ``datasets``);
otherwise a block is one causal span.

Sources: local files or folders (json/jsonl, parquet, csv, text, arrow) through datasets' streaming builders, and
Hub ids streamed from the Hub; offline, a Hub id is read from the local cache (memory-mapped, still not loaded
whole) or fails at once with "not in the local cache (offline)". Nothing is cached on disk: the Trainer pulls
blocks, the blocks pull documents. When the stream ends before max_steps, the Trainer starts it again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from engine.paths import looks_local, resolve_path

from .errors import DataError
from .sources import EXTENSIONS, _local_files

KEY = "pretraining_dataset.0"
_TOKENIZE_BATCH = 64  # documents tokenized at once: the most the reader is ever ahead of training


def streamed_train(cfg: Any, tokenizer: Any, preset_path: str | os.PathLike[str] | None = None) -> Any:
    """The training blocks of ``cfg.pretraining_dataset[0]``, as a lazily read ``datasets.IterableDataset``."""
    entry = cfg.pretraining_dataset[0]
    rows, label = open_rows(entry, preset_path)
    if entry.skip:
        rows = rows.skip(entry.skip)
    separate = bool(cfg.sample_packing and cfg.pretrain_multipack_attn)
    return pack_stream(rows, label, entry.column, tokenizer, int(cfg.sequence_len), separate)


def pack_stream(rows: Any, label: str, column: str, tokenizer: Any, sequence_len: int, separate: bool) -> Any:
    """``rows`` (an iterable of dicts, read lazily) as an IterableDataset of packed blocks."""
    import datasets

    def generate() -> Iterator[dict[str, list[int]]]:
        texts = document_texts(_guarded(rows, label), column, label)
        yield from blocks(texts, tokenizer, sequence_len, separate)

    return datasets.IterableDataset.from_generator(generate)


def blocks(texts: Iterable[str], tokenizer: Any, sequence_len: int, separate: bool) -> Iterator[dict[str, list[int]]]:
    """Full blocks of ``sequence_len`` tokens from the documents, in order: ``input_ids``, ``labels`` (the same
    ids) and, when ``separate``, ``position_ids`` restarting at each document start."""
    ids: list[int] = []
    positions: list[int] = []
    for doc in _tokenized(texts, tokenizer):
        ids += doc
        positions += range(len(doc))
        while len(ids) >= sequence_len:
            block, ids = ids[:sequence_len], ids[sequence_len:]
            pos, positions = positions[:sequence_len], _restarted(positions[sequence_len:])
            out = {"input_ids": block, "labels": list(block)}
            if separate:
                out["position_ids"] = pos
            yield out


def _restarted(positions: list[int]) -> list[int]:
    """A document cut at a block's end goes on in the next block from position 0: a block is its own context."""
    if not positions or positions[0] == 0:
        return positions
    offset = positions[0]
    end = next((i for i, p in enumerate(positions) if p == 0), len(positions))
    return [p - offset for p in positions[:end]] + positions[end:]


def _tokenized(texts: Iterable[str], tokenizer: Any) -> Iterator[list[int]]:
    eos = tokenizer.eos_token_id
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == _TOKENIZE_BATCH:
            yield from _ended(tokenizer(batch, add_special_tokens=True)["input_ids"], eos)
            batch = []
    if batch:
        yield from _ended(tokenizer(batch, add_special_tokens=True)["input_ids"], eos)


def _ended(docs: list[list[int]], eos: int | None) -> Iterator[list[int]]:
    for doc in docs:
        yield doc if eos is None or (doc and doc[-1] == eos) else [*doc, eos]


def document_texts(rows: Iterable[dict[str, Any]], column: str, label: str) -> Iterator[str]:
    """The text of each row; rows with empty text are skipped (as Axolotl's completion rows are dropped)."""
    for index, row in enumerate(rows):
        if column not in row:
            found = ", ".join(f"'{k}'" for k in row) or "no fields"
            raise DataError(f"row {index + 1} of pretraining_dataset '{label}' has no '{column}' column (it has "
                            f"{found}): set text_column to the column holding the text.", key=f"{KEY}.text_column")
        text = row[column]
        if not isinstance(text, str):
            raise DataError(f"row {index + 1} of pretraining_dataset '{label}': '{column}' is a "
                            f"{type(text).__name__}, not text: set text_column to the column holding the text.",
                            key=f"{KEY}.text_column")
        if text:
            yield text


def _guarded(rows: Iterable[dict[str, Any]], label: str) -> Iterator[dict[str, Any]]:
    """The rows, with a failure of the underlying reader (a bad file, the network) said as a DataError."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except DataError:
            raise
        except Exception as err:  # datasets and pyarrow raise many kinds; all mean "could not read on"
            first = str(err).splitlines()[0] if str(err) else ""
            raise DataError(f"reading pretraining_dataset '{label}' failed: {type(err).__name__}: {first}. Check "
                            "the file (or, for a Hub id, the network).", key=f"{KEY}.path") from None
        yield row


def open_rows(entry: Any, preset_path: str | os.PathLike[str] | None) -> tuple[Any, str]:
    """(the entry's rows as a streaming ``datasets.IterableDataset``, how messages name the source)."""
    if looks_local(entry.path, preset_path):
        return _local_rows(entry, preset_path)
    return _hub_rows(entry), entry.path


def _local_rows(entry: Any, preset_path: str | os.PathLike[str] | None) -> tuple[Any, str]:
    import datasets

    path = resolve_path(entry.path, preset_path)
    key = f"{KEY}.path"
    if not path.exists():
        raise DataError(f"pretraining_dataset path '{entry.path}' does not exist (looked in the current folder and "
                        f"beside the preset). Fix {key}.", key=key)
    files = _local_files(path, entry, key)
    kinds = {entry.ds_type or EXTENSIONS[f.suffix.lower()] for f in files}
    if len(kinds) > 1:
        raise DataError(f"'{path}' holds files of several formats ({', '.join(sorted(kinds))}); a stream reads one: "
                        "set data_files to the files of one format.", key=key)
    builder = kinds.pop()
    datasets.disable_progress_bars()
    rows = datasets.load_dataset(builder, data_files=[str(f) for f in files], split="train", streaming=True)
    return rows, str(path)


def _hub_rows(entry: Any) -> Any:
    import datasets

    from engine.hub_cache import hub_offline

    datasets.disable_progress_bars()
    offline = hub_offline() or os.environ.get("HF_DATASETS_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}
    try:
        if offline:  # streaming reads the Hub's files; offline only the cached copy can be read (memory-mapped)
            cached = datasets.load_dataset(entry.path, entry.name, split=entry.split, data_files=entry.data_files)
            return cached.to_iterable_dataset()
        return datasets.load_dataset(entry.path, entry.name, split=entry.split, data_files=entry.data_files,
                                     streaming=True)
    except Exception as err:  # datasets raises many kinds; all mean "could not get it"
        first = str(err).splitlines()[0].rstrip(".") if str(err) else ""
        if offline:
            raise DataError(f"pretraining_dataset '{entry.path}' is not in the local cache (offline): HF_HUB_OFFLINE "
                            "is set, so nothing is streamed from the Hub. Download it once with the network on, or "
                            f"point path at a local file or folder ({type(err).__name__}: {first}).",
                            key=f"{KEY}.path") from None
        raise DataError(f"could not stream pretraining_dataset '{entry.path}' (split '{entry.split}'): "
                        f"{type(err).__name__}: {first}. Check the id (and name/split) and your network.",
                        key=f"{KEY}.path") from None
