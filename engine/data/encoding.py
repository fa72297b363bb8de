"""Reading a local text data file (.jsonl/.json/.csv/.txt) as UTF-8, or saying what it looks like instead.

UTF-8 with a byte-order mark is read as UTF-8 (Windows tools write one). Anything else is a DataError naming the
file, the line of the first byte that is not UTF-8, a guess at the encoding and the iconv command that converts
it. The guess is deliberately simple (a BOM, NUL bytes, or whether Windows-1252 decodes it): no detection
library is worth a dependency when the answer is "convert it to UTF-8" either way.
"""

from __future__ import annotations

import codecs
import shlex
from pathlib import Path

from .errors import DataError

# UTF-32's little-endian BOM starts with UTF-16's: test it first.
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def read_utf8(path: Path) -> str:
    """The file's text; a leading UTF-8 BOM is dropped."""
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _not_utf8(path, None, f"it is {name} (it starts with a {name} byte-order mark)", name)
    nul = data.find(b"\0")
    if nul != -1:  # valid UTF-8, but no text file holds NUL: UTF-16 without a BOM, or not text at all
        order = "UTF-16LE" if nul % 2 else "UTF-16BE"
        raise _not_utf8(path, _line_at(data, nul), "it holds NUL bytes, so it looks like UTF-16 without a "
                        "byte-order mark (or it is not a text file)", order)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        byte = data[err.start]
        try:
            data.decode("cp1252")
            looks, source = "Windows-1252 (cp1252) or Latin-1", "WINDOWS-1252"
        except UnicodeDecodeError:
            looks, source = "Latin-1 (ISO-8859-1) or another 8-bit encoding", "LATIN1"
        raise _not_utf8(path, _line_at(data, err.start), f"byte 0x{byte:02x} on this line is not valid UTF-8, "
                        f"and the file looks like {looks}", source) from None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _not_utf8(path: Path, line: int | None, found: str, source: str) -> DataError:
    target = path.with_name(f"{path.stem}.utf8{path.suffix}")
    return DataError(
        f"not UTF-8 text: {found}. tunedeck reads data files as UTF-8. Convert it, e.g. "
        f"iconv -f {source} -t UTF-8 {shlex.quote(str(path))} > {shlex.quote(str(target))}, and point the "
        "dataset's path at the converted file (or re-export it as UTF-8 from the tool that wrote it).",
        file=str(path), line=line)
