"""Reading dataset rows: local files and folders (.jsonl/.json/.parquet/.csv/.txt/.arrow) and Hugging Face ids.

Local files are read here (not through ``datasets.load_dataset``) so every row keeps its file and line for
error messages. A hub id is loaded with ``datasets.load_dataset``; offline, only what is in the local cache.
``split`` and ``name`` apply to hub ids only (a local file or folder is all one split, as Axolotl reads it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.paths import looks_local, resolve_path

from .encoding import read_utf8
from .errors import DataError

Loc = tuple[str, "int | None", int]  # (file, line or None, row index within the file)

EXTENSIONS = {
    ".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv", ".txt": "text", ".arrow": "arrow",
}


@dataclass
class Rows:
    """Rows of one dataset entry, with where each came from."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    locs: list[Loc] = field(default_factory=list)


@dataclass
class SourceRef:
    """A dataset entry resolved to local files or a hub id, not yet read."""

    label: str  # how messages name it
    files: list[Path] | None = None
    hub_id: str | None = None
    ds_type: str | None = None
    name: str | None = None
    split: str = "train"
    data_files: Any = None
    _hub_dataset: Any = None

    def fingerprint(self) -> str:
        """A hash of the content: file bytes for local data, the datasets fingerprint for hub data."""
        h = hashlib.blake2b(digest_size=16)
        if self.files is not None:
            for path in self.files:
                h.update(str(path).encode() + b"\0")
                h.update(file_digest(path).encode())
        else:
            h.update(self._load_hub()._fingerprint.encode())
        return h.hexdigest()

    def load(self) -> Rows:
        if self.files is None:
            ds = self._load_hub()
            return Rows(rows=ds.to_list(), locs=[(self.label, None, i) for i in range(len(ds))])
        out = Rows()
        for path in self.files:
            kind = self.ds_type or EXTENSIONS[path.suffix.lower()]
            part = READERS[kind](path)
            out.rows += part.rows
            out.locs += part.locs
        return out

    def _load_hub(self) -> Any:
        if self._hub_dataset is None:
            assert self.hub_id is not None  # a source without files is a hub dataset
            self._hub_dataset = load_hub(self.hub_id, self.name, self.split, self.data_files)
        return self._hub_dataset


def file_digest(path: Path) -> str:
    """blake2b of the file's bytes (fast: ~1 GB/s); size+mtime would miss same-size edits."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def resolve_source(ds: Any, preset_path: str | os.PathLike[str] | None, index: int) -> SourceRef:
    """Turn a DatasetConfig into a SourceRef, or fail saying what is wrong with its path."""
    key = f"datasets.{index}.path"
    if looks_local(ds.path, preset_path):
        path = resolve_path(ds.path, preset_path)
        if not path.exists():
            raise DataError(f"dataset {index} path '{ds.path}' does not exist (looked in the current folder and "
                            f"beside the preset). Fix {key}.", key=key)
        return SourceRef(label=str(path), files=_local_files(path, ds, key), ds_type=ds.ds_type)
    return SourceRef(label=ds.path, hub_id=ds.path, name=ds.name, split=ds.split, data_files=ds.data_files)


def _local_files(path: Path, ds: Any, key: str) -> list[Path]:
    if path.is_file():
        if not ds.ds_type and path.suffix.lower() not in EXTENSIONS:
            raise DataError(f"cannot tell the format of '{path}' from its extension: set ds_type "
                            f"(json, parquet, csv, text, arrow) or use one of {', '.join(EXTENSIONS)}.", key=key)
        return [path]
    if ds.data_files:
        names = [ds.data_files] if isinstance(ds.data_files, str) else list(ds.data_files)
        files = [path / n for n in names]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise DataError(f"data_files not found in '{path}': {', '.join(missing)}.", key=key)
        return files
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not files:
        raise DataError(f"folder '{path}' holds no data files ({', '.join(EXTENSIONS)}).", key=key)
    return files


def load_hub(hub_id: str, name: str | None, split: str, data_files: Any) -> Any:
    import datasets

    try:
        return datasets.load_dataset(hub_id, name, split=split, data_files=data_files)
    except Exception as err:  # datasets raises many kinds; all mean "could not get it"
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1"
        hint = (
            "Working offline, only datasets already in the local Hugging Face cache can be used: download it "
            "once with network access, or point path at a local file or folder."
            if offline else "Check the id (and name/split), your network, and that it is not a typo for a local path."
        )
        raise DataError(f"could not load dataset '{hub_id}' (split '{split}'): {type(err).__name__}: "
                        f"{str(err).splitlines()[0].rstrip('.') if str(err) else ''}. {hint}") from None


# --- readers: each returns Rows with 1-based line numbers where the format has lines ---------------------------

def read_json(path: Path) -> Rows:
    """JSONL (one object per line, any extension), or for .json a whole-file list of objects or a dict of
    equal-length columns (the layouts datasets' json loader reads)."""
    text = read_utf8(path)
    if path.suffix.lower() == ".json" and text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            if text.lstrip().startswith("["):
                raise DataError(f"not valid JSON: {err.msg} (column {err.colno}). Fix the file or convert it to "
                                "JSONL (one JSON object per line).", file=str(path), line=err.lineno) from None
            data = None  # several objects: JSONL in a .json file
        if isinstance(data, dict):
            columns = all(isinstance(v, list) and not any(isinstance(x, dict) for x in v) for v in data.values())
            if data and columns and len({len(v) for v in data.values()}) == 1:
                data = [dict(zip(data, values, strict=False)) for values in zip(*data.values(), strict=False)]
            else:
                return Rows(rows=[data], locs=[(str(path), 1, 0)])  # one object: one row
        if isinstance(data, list):
            bad = next((i for i, r in enumerate(data) if not isinstance(r, dict)), None)
            if bad is not None:
                raise DataError(f"element {bad + 1} of the top-level list is not a JSON object; every row must be "
                                "an object such as {\"text\": ...}.", file=str(path))
            return Rows(rows=data, locs=[(str(path), None, i) for i in range(len(data))])
    rows: list[dict] = []
    locs: list[Loc] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"malformed JSON line: {err.msg} (column {err.colno}). Each line must be one complete "
                            "JSON object; fix or delete this line.", file=str(path), line=lineno) from None
        if not isinstance(row, dict):
            raise DataError(f"this line is a JSON {type(row).__name__}, not an object; each line must be an "
                            "object such as {\"text\": ...}.", file=str(path), line=lineno)
        locs.append((str(path), lineno, len(rows)))
        rows.append(row)
    return Rows(rows=rows, locs=locs)


def read_csv(path: Path) -> Rows:
    rows: list[dict] = []
    locs: list[Loc] = []
    reader = csv.DictReader(io.StringIO(read_utf8(path), newline=""))
    start = 2
    for row in reader:
        locs.append((str(path), start, len(rows)))
        rows.append(dict(row))
        start = reader.line_num + 1
    return Rows(rows=rows, locs=locs)


def read_text(path: Path) -> Rows:
    """One row {"text": line} per non-blank line (blank lines are skipped, unlike datasets' text loader)."""
    rows: list[dict] = []
    locs: list[Loc] = []
    for lineno, line in enumerate(read_utf8(path).splitlines(), 1):
        if line.strip():
            locs.append((str(path), lineno, len(rows)))
            rows.append({"text": line})
    return Rows(rows=rows, locs=locs)


def read_parquet(path: Path) -> Rows:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as err:
        raise DataError(f"cannot read this parquet file: {err}.", file=str(path)) from None
    return Rows(rows=rows, locs=[(str(path), None, i) for i in range(len(rows))])


def read_arrow(path: Path) -> Rows:
    import pyarrow as pa

    try:
        with pa.memory_map(str(path)) as source:
            try:
                table = pa.ipc.open_stream(source).read_all()
            except pa.ArrowInvalid:
                table = pa.ipc.open_file(source).read_all()
    except Exception as err:
        raise DataError(f"cannot read this arrow file: {err}.", file=str(path)) from None
    rows = table.to_pylist()
    return Rows(rows=rows, locs=[(str(path), None, i) for i in range(len(rows))])


READERS = {"json": read_json, "csv": read_csv, "text": read_text, "parquet": read_parquet, "arrow": read_arrow}
