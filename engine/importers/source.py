"""A config from another tool, read with line numbers: every problem found in it can say file:line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import TunedeckError, place


@dataclass
class SourceConfig:
    """The parsed file (plain values), its text, and where each key sits in it."""

    path: Path
    text: str
    data: dict[str, Any]
    kind: str  # "json" or "yaml"
    _yaml_doc: Any = None

    def line(self, key: str) -> int | None:
        """1-based line of a dotted key (``a.b.0.c``), or of its deepest ancestor found."""
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
        if self._yaml_doc is not None:
            from engine.preset.yamlio import line_of

            return line_of(self._yaml_doc, parts)
        return _json_line(self.text, [p for p in parts if isinstance(p, str)])

    def where(self, key: str) -> str:
        return place(str(self.path), self.line(key))


def _json_line(text: str, names: list[str]) -> int | None:
    """JSON keeps no positions: find each name in turn after the previous one (keys are quoted and unique
    enough along one path for this to land on the right line)."""
    pos, line = 0, None
    for name in names:
        found = re.compile(rf'"{re.escape(name)}"\s*:').search(text, pos)
        if not found:
            break
        pos = found.end()
        line = text.count("\n", 0, found.start()) + 1
    return line


def read_source(path: str | Path) -> SourceConfig:
    """Read a JSON or YAML config; a file that cannot be read or parsed is a TunedeckError naming file:line."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise TunedeckError(f"{file}: no such file. Give the path of the config to import.") from None
    except IsADirectoryError:
        raise TunedeckError(f"{file} is a folder: give the config file itself (an H2O LLM Studio cfg.yaml, a "
                            "SiloGen finetuning YAML or a turbo-alignment train JSON).") from None
    except OSError as err:
        raise TunedeckError(f"{file}: could not read it ({err.strerror or err}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise TunedeckError(f"{file}:{line}: the file is not UTF-8 text. Convert it (iconv -f LATIN1 -t UTF-8) "
                            "and import again.") from None
    if file.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _read_json(file, text)
    return _read_yaml(file, text)


def _read_json(file: Path, text: str) -> SourceConfig:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise TunedeckError(f"{file}:{err.lineno}: the file is not valid JSON ({err.msg} at column {err.colno}). "
                            "Check that line and the one above it for a missing comma, quote or bracket.") from None
    if not isinstance(data, dict):
        raise TunedeckError(f"{file}:1: the file holds a JSON {type(data).__name__}, not an object of settings: "
                            "an importable config is one JSON object.")
    return SourceConfig(file, text, data, "json")


def _read_yaml(file: Path, text: str) -> SourceConfig:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from engine.preset.limits import check_directives, check_size, check_structure
    from engine.preset.yamlio import make_yaml, to_plain

    # The bounds of presets: an alias bomb or a %YAML 9.9 line gets a message, not a hang in to_plain or a KeyError.
    check_size(len(text.encode("utf-8", "surrogatepass")), str(file))
    check_directives(text, str(file))
    try:
        doc = make_yaml(text).load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        raise TunedeckError(f"{where}: the file is not valid YAML ({err.problem or err.context}). Check that line "
                            "and the one above it for a missing colon, unbalanced quotes or misaligned "
                            "indentation.") from None
    except YAMLError as err:
        raise TunedeckError(f"{file}: the file is not valid YAML ({err}).") from None
    except RecursionError:
        raise TunedeckError(f"{file}: lists and maps are nested too deeply to read.") from None
    check_structure(doc, str(file))
    if not isinstance(doc, dict):
        raise TunedeckError(f"{file}:1: the file holds no mapping of settings (found "
                            f"{type(doc).__name__ if doc is not None else 'nothing'}): an importable config is a "
                            "YAML mapping.")
    return SourceConfig(file, text, to_plain(doc), "yaml", doc)
