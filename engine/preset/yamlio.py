"""Round-trip YAML: parse keeping comments, quotes and order; dump changing only the edited lines.

ruamel's round-trip mode keeps comments, key order and quoting, but it re-indents sequences to one style and
normalises a few spellings (``key:   value`` loses its extra spaces). So :func:`dump` dumps twice — the document
as loaded and as edited — and carries every line that the edit did not touch over from the original text. A
load → save with no edit therefore gives back the file byte for byte.
"""

from __future__ import annotations

import difflib
import io
import itertools
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from engine.errors import TunedeckError

from .limits import check_directives, check_size, check_structure
from .plain import to_plain as to_plain  # lives in .plain (no ruamel); kept here for readers of documents
from .scanner import LinearCommentScanner

_KEY_LINE = re.compile(r"^( *)(?!- )[^\s#][^:#]*:\s*(#.*)?$")  # "key:" with its value on the next lines
_SEQ_LINE = re.compile(r"^( *)- ")


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as ruamel's ``YAML.indent`` wants them, read off the file's own layout.

    Defaults are Axolotl's usual layout: nested maps by 2, list items ``  - x`` (offset 2, sequence 4).
    """
    mapping = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for parent, child in itertools.pairwise(lines):
        head = _KEY_LINE.match(parent)
        if not head:
            continue
        base = len(head.group(1))
        deeper = len(child) - len(child.lstrip(" "))
        seq = _SEQ_LINE.match(child)
        if seq and offset is None and deeper >= base:
            offset = deeper - base
        elif not seq and mapping is None and deeper > base:
            mapping = deeper - base
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + 2, offset


def make_yaml(text: str = "", indent: tuple[int, int, int] | None = None) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Scanner = LinearCommentScanner
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long values
    mapping, sequence, offset = indent or detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def indent_candidates(text: str) -> list[tuple[int, int, int]]:
    """The file's own layout first, then the common ones: a file that mixes list styles (``- x`` under one key,
    ``  - x`` under another) is merged with whichever layout matches the part that was edited."""
    first = detect_indent(text)
    mapping = first[0]
    others = [(mapping, 2, 0), (mapping, 4, 2), (mapping, mapping + 2, mapping)]
    return [first] + [c for c in dict.fromkeys(others) if c != first]


def parse(text: str, file: str | None = None) -> Any:
    """Parse YAML text; a syntax error, or a file past the bounds in :mod:`.limits`, becomes a TunedeckError
    naming file:line and what to fix."""
    check_size(len(text.encode("utf-8", "surrogatepass")), file)
    check_directives(text, file)
    try:
        doc = make_yaml(text).load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f"{file or '<preset>'}:{line}" if line else (file or "<preset>")
        what = err.problem or err.context or "invalid YAML"
        raise TunedeckError(f"{where}: the preset is not valid YAML ({what}). {_fix_for(what)}") from None
    except YAMLError as err:
        raise TunedeckError(
            f"{file or '<preset>'}: the preset is not valid YAML ({err}). Fix the file and try again.") from None
    except RecursionError:  # the parser recurses once per level of [[[…]]]: far past any preset's depth
        raise TunedeckError(f"{file or '<preset>'}: lists and maps are nested too deeply to read. Write the values "
                            "out plainly (a preset nests a few levels), then try again.") from None
    check_structure(doc, file)
    return doc


def _fix_for(problem: str) -> str:
    if "duplicate key" in problem:
        return "A key may appear only once: delete one of the two lines (keep the value you mean)."
    if "\\t" in problem or "tab" in problem:
        return "YAML indents with spaces, never tabs: replace the tab on that line with spaces."
    return ("Check that line and the one above it for a missing colon, unbalanced quotes or brackets, or "
            "indentation that does not line up, then try again.")


def dump_plain(doc: Any, yaml: YAML) -> str:
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def merge_lines(original: str, before: str, after: str) -> str:
    """Apply the edit ``before → after`` (two dumps) to ``original``, keeping untouched original lines.

    Works when ruamel's dump of the unedited document has the original's line count (it normalises within
    lines only); otherwise the plain dump ``after`` is the answer.
    """
    if before == after:
        return original
    orig_lines = original.splitlines(keepends=True)
    before_lines = before.splitlines(keepends=True)
    if len(orig_lines) != len(before_lines):
        return after
    after_lines = after.splitlines(keepends=True)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=before_lines, b=after_lines, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        out.extend(orig_lines[a0:a1] if op == "equal" else after_lines[b0:b1])
    return "".join(out)


def line_of(doc: Any, parts: list[str | int]) -> int | None:
    """1-based line of the deepest key along ``parts`` that the document knows (None when not even the first)."""
    node = doc
    line: int | None = None
    for part in parts:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, TypeError, AttributeError, IndexError):
            break
    return line
