"""A preset file as one object: the round-trip document, its problems, its validated Config, and saving."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.atomic import atomic_write_text
from engine.errors import TunedeckError, place
from engine.knobs.problems import Problem
from engine.knobs.registry import get_knob

from .limits import MAX_PRESET_BYTES, check_size
from .plain import to_plain
from .unknown_keys import dataset_names, top_level_names
from .values_cache import cached_values, forget_values, remember_values

# The round-trip document's modules (.edit, .yamlio) import ruamel, ~13 ms: they load when a document is parsed,
# which a preset opened from its remembered values (.values_cache) does after the editor's first frame.
if TYPE_CHECKING:
    from engine.knobs.config import Config

    from .edit import Removed
    from .validate import Checked

_UNPARSED = object()


# Lists of dataset entries whose keys set() and unset() reach as NAME.N.key.
ENTRY_LISTS = ("datasets", "test_datasets")


def format_problem(problem: Problem) -> str:
    """``file:line: key: message`` (parts that are unknown are left out)."""
    where = place(problem.file or "<preset>", problem.line)
    return f"{where}: {problem.key}: {problem.message}" if problem.key else f"{where}: {problem.message}"


class Preset:
    """A loaded preset. Edits go through :meth:`set`/:meth:`unset`; everything else in the file is kept."""

    def __init__(self, text: str, path: str | os.PathLike[str] | None = None, *, values: Any = _UNPARSED) -> None:
        """``values``: what a parse of ``text`` gives, as plain Python (a mapping, or None for a file of only
        comments), remembered from an earlier parse. Reading then needs no parse; the document is parsed when
        first needed (an edit, a check, a save) and compared with them."""
        self.path: Path | None = Path(path) if path is not None else None
        self._text = text  # the file as last read or written
        self._doc: Any = None
        self._values = values
        self.values_were_stale = False  # the remembered values differed from the parse (they are forgotten)
        if values is _UNPARSED:
            self._parse()
        else:
            self._was_empty = values is None
        self._before: dict[tuple[int, int, int], str] = {}  # dumps of the unedited document, per layout
        self._edited = False  # doc differs from _text
        self._lines_stale = False  # an edit added, removed or reshaped lines: doc's own line numbers are off
        self._checked: Checked | None = None
        self._rendered: tuple[str, Any] | None = None  # (to_yaml() text, its parsed document or None)
        self._removed: dict[str, Removed] = {}  # keys unset by path: set again, they go back on their line

    # -------------------------------------------------------------- reading

    @property
    def doc(self) -> Any:
        """The round-trip document (ruamel's): comments, order and quoting kept; edited in place."""
        self.parse()
        return self._doc

    def parse(self) -> None:
        """Parse the document now, if it was opened from remembered values (see :func:`load_preset`)."""
        if self._doc is None:
            self._parse()

    def _parse(self) -> None:
        from ruamel.yaml.comments import CommentedMap

        from .yamlio import parse

        doc = parse(self._norm, self._file)
        self._was_empty = doc is None  # nothing but comments (or nothing at all)
        self._doc = CommentedMap() if doc is None else doc
        if self._values is not _UNPARSED:
            plain = None if doc is None else to_plain(doc)
            if plain != self._values:  # never expected (the parser is part of the key): heal, and say so
                self.values_were_stale = True
                forget_values(self._text)
            self._values = _UNPARSED

    @property
    def _reading(self) -> Any:
        """What get() reads: the document, or the remembered values while it is not parsed yet."""
        if self._doc is None and self._values is not _UNPARSED:
            return self._values if self._values is not None else {}
        return self.doc

    @property
    def _norm(self) -> str:
        """The file's text with \n line ends (ruamel's own), whatever the file uses."""
        return self._text.replace("\r\n", "\n")

    @property
    def _file(self) -> str | None:
        return str(self.path) if self.path is not None else None

    def _check(self) -> Checked:
        from .validate import check_document  # builds the knob models: not needed to read or edit a preset

        if self._checked is None:
            if self._lines_stale:  # line numbers from what would be written, not from the stale document
                doc = self._written_doc()
            elif self._was_empty:
                doc = None
            else:
                doc = self.doc
            self._checked = check_document(doc, self._file)
        return self._checked

    @property
    def problems(self) -> list[Problem]:
        """Errors and warnings, each with file and 1-based line."""
        return list(self._check().problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self._check().problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self._check().problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def kept_keys(self) -> list[str]:
        """Axolotl keys this preset carries that tunedeck keeps but does not use."""
        return list(self._check().kept_keys)

    @property
    def config(self) -> Config:
        """The validated Config; raises TunedeckError listing every error when the preset is invalid."""
        checked = self._check()
        errors = [p for p in checked.problems if p.severity == "error"]
        if errors or checked.config is None:
            raise TunedeckError(errors_message(errors, self._file))
        return checked.config

    def get(self, path: str, default: Any = None) -> Any:
        """The value at ``path`` ("lora_r", "model_revision", "datasets.0.type", "datasets.0", "special_tokens.
        pad_token") as plain Python, or ``default`` when the file does not set it."""
        node: Any = self._reading
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if isinstance(node, list):
                if not part.isdecimal() or int(part) >= len(node):
                    return default
                node = node[int(part)]
            elif isinstance(node, dict):
                if depth == 0:
                    key = self._spelling(part)
                elif depth == 2 and parts[0] == "datasets":
                    key = self._spelling(part, node, dataset=True)
                else:
                    key = part
                if key not in node:
                    return default
                node = node[key]
            else:
                return default
        return to_plain(node)

    def plain(self) -> Any:
        """The whole file as plain Python (a mapping for a preset; {} for a file of only comments)."""
        return to_plain(self._reading)

    def _spelling(self, name: str, mapping: Any = None, *, dataset: bool = False) -> str:
        """The key as this file spells it (an alias stays an alias), else the canonical name."""
        mapping = self._reading if mapping is None else mapping
        names = dataset_names() if dataset else top_level_names()
        canonical = names.get(name, name)
        for key in mapping:
            if names.get(str(key)) == canonical:
                return str(key)
        return canonical

    # -------------------------------------------------------------- editing

    def require_mapping(self) -> None:
        """Raise TunedeckError (validate's own message) when the file is a list, a number or a text instead of
        key: value lines: there is no knob in it to show, edit or set."""
        if not isinstance(self._reading, dict):
            raise TunedeckError(" ".join(format_problem(p) for p in self.errors))

    def set(self, path: str, value: Any) -> None:
        """Set a knob, typed by the registry when the value fits (else stored as given and reported).

        ``None`` removes the key. ``datasets.N.key`` creates ``datasets[N]`` when N is the next index.
        """
        from .edit import CoercionError, coerce, dataset_entry, put

        self.parse()  # an edit goes into the document, and reads key spellings from it
        self.require_mapping()
        if value is None:
            self.unset(path)
            return
        knob = get_knob(path)
        if knob is not None:
            with contextlib.suppress(CoercionError):  # keep what was typed: validation shows it, a draft save keeps it
                value = coerce(knob, value)
        parts = path.split(".")
        if parts[0] in ENTRY_LISTS and len(parts) == 3 and parts[1].isdecimal():
            entry = dataset_entry(self.doc, self._spelling(parts[0]), int(parts[1]), create=True)
            assert entry is not None
            key = self._spelling(parts[2], entry, dataset=True)
            structural = _reshapes(entry, key, value)
            put(entry, key, value, restore=self._removed.pop(path, None))
        elif len(parts) == 1:
            key = self._spelling(path)
            structural = _reshapes(self.doc, key, value)
            put(self.doc, key, value, top_level=True, restore=self._removed.pop(path, None))
        else:
            raise TunedeckError(f"'{path}': only top-level keys and datasets.N.key (or test_datasets.N.key) paths "
                                "can be set.")
        self._touched(structural)

    def unset(self, path: str) -> None:
        """Remove a key from the file (the knob falls back to its default); ``datasets.N`` removes an entry."""
        from .edit import dataset_entry, delete

        self.parse()
        self.require_mapping()
        parts = path.split(".")
        if parts[0] in ENTRY_LISTS and len(parts) == 3 and parts[1].isdecimal():
            entry = dataset_entry(self.doc, self._spelling(parts[0]), int(parts[1]), create=False)
            if entry is not None:
                self._forget(path, delete(entry, self._spelling(parts[2], entry, dataset=True)))
        elif parts[0] == "datasets" and len(parts) == 2 and parts[1].isdecimal():
            seq = self.doc.get(self._spelling("datasets"))
            if isinstance(seq, list) and int(parts[1]) < len(seq):
                del seq[int(parts[1])]
        else:
            self._forget(path, delete(self.doc, self._spelling(path)))
        self._touched()

    def _forget(self, path: str, removed: Removed | None) -> None:
        if removed is not None:
            self._removed[path] = removed

    def mark_edited(self) -> None:
        """Call after changing ``doc`` directly, so problems, lines and to_yaml() see the change."""
        self._touched()

    def _touched(self, structural: bool = True) -> None:
        self._edited = True
        self._lines_stale |= structural
        self._checked = None
        self._rendered = None

    # -------------------------------------------------------------- writing

    def to_yaml(self) -> str:
        """The file's text with the edits applied; untouched lines are byte-for-byte the original's."""
        if self._rendered is None:
            self._rendered = self._render()
        return self._rendered[0]

    def _render(self) -> tuple[str, Any]:
        from ruamel.yaml.comments import CommentedMap
        from ruamel.yaml.error import YAMLError

        from .yamlio import dump_plain, indent_candidates, make_yaml, merge_lines, parse

        if not self._edited:
            return self._text, None
        if self._was_empty:
            return self._eol(dump_plain(self.doc, make_yaml())), None
        plain = to_plain(self.doc)
        original = self._norm
        fallback = None
        for layout in indent_candidates(original):
            yaml = make_yaml(indent=layout)
            if layout not in self._before:
                self._before[layout] = dump_plain(parse(original, self._file) or CommentedMap(), yaml)
            after = dump_plain(self.doc, yaml)
            fallback = fallback or after
            merged = merge_lines(original, self._before[layout], after)
            try:
                reread = make_yaml(merged).load(merged)
            except YAMLError:
                continue  # this layout's new lines do not fit the file's
            if to_plain(reread) == plain:
                return self._eol(merged), reread
        assert fallback is not None
        return self._eol(fallback), None  # no layout reads back the same: ruamel's own layout of the whole file

    def _eol(self, text: str) -> str:
        """ruamel writes \n; a file written with \r\n keeps its line ends."""
        return text.replace("\n", "\r\n") if "\r\n" in self._text else text

    def _written_doc(self) -> Any:
        """The document as to_yaml() would write it, parsed (for line numbers after edits)."""
        text = self.to_yaml()
        assert self._rendered is not None
        if self._rendered[1] is None:
            from .yamlio import parse

            self._rendered = (text, parse(text.replace("\r\n", "\n"), self._file))
        return self._rendered[1]

    def save(self, path: str | os.PathLike[str] | None = None, *, draft: bool = False) -> Path:
        """Write atomically to ``path`` (default: where it was loaded). Refuses while errors stand unless draft."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise TunedeckError("this preset has no file yet: give a path to save it to.")
        if not draft:
            errors = self.errors
            if errors:
                raise TunedeckError(errors_message(errors, self._file, saving=True))
        text = self.to_yaml()
        try:
            atomic_write_text(target, text)
        except OSError as err:
            raise TunedeckError(f"{target}: could not save the preset ({err.strerror or err}). "
                                "Check that the folder exists and is writable.") from None
        self.path = target
        self._text = text
        self._before = {}
        self._edited = False
        self._was_empty = not self.doc
        self._checked = None
        self._rendered = None
        return target


def _reshapes(mapping: Any, key: str, value: Any) -> bool:
    """Whether writing ``value`` at ``key`` can move lines: a new key, or a list/map/multi-line value."""
    if key not in mapping:
        return True
    old = mapping[key]
    multiline = any(isinstance(v, str) and "\n" in v for v in (old, value))
    return multiline or isinstance(old, (list, dict)) or isinstance(value, (list, dict))


def errors_message(errors: list[Problem], file: str | None, *, saving: bool = False) -> str:
    lines = [format_problem(p) for p in errors] or [f"{file or '<preset>'}: the preset is not valid."]
    n = len(errors)
    head = f"{file or 'the preset'} has {n} error{'s' if n != 1 else ''}"
    head += ", so it was not saved (save it as a draft to keep it anyway):" if saving else ":"
    tail = ("Fix each line above in the file (or in the editor), then run `tunedeck validate "
            f"{file or 'PRESET'}` to check it again.")
    return "\n".join([head, *lines, tail])


def load_preset(path: str | os.PathLike[str], *, remembered: bool = False) -> Preset:
    """Read a preset; raises TunedeckError only when the file cannot be read or is not YAML.

    remembered: use the values remembered from an earlier parse of this very text when there are some (the
    document is parsed later, when first needed), and remember them after a parse (the editor opens this way)."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8", newline="") as handle:  # keep \r\n as it is: saves change only edits
            check_size(os.fstat(handle.fileno()).st_size, str(p))
            text = handle.read(MAX_PRESET_BYTES + 1)  # a device or a growing file is cut off, then refused
    except FileNotFoundError:
        raise TunedeckError(
            f"{p}: no such preset file. Check the path, or create one with `tunedeck new {p}`.") from None
    except IsADirectoryError:
        raise TunedeckError(f"{p}: this is a folder, not a preset file. Give the path of a .yaml file.") from None
    except UnicodeDecodeError:
        raise TunedeckError(f"{p}: not a text file (it is not UTF-8). Give the path of a .yaml preset.") from None
    except OSError as err:
        raise TunedeckError(f"{p}: cannot read the preset ({err.strerror or err}).") from None
    if not remembered:
        return Preset(text, p)
    found, values = cached_values(text)
    if found:
        return Preset(text, p, values=values)
    preset = Preset(text, p)
    remember_values(text, None if preset._was_empty else preset.doc)
    return preset
