"""Text encodings of local data files: UTF-8 (with or without a BOM) is read; anything else is a clear error
naming the file, the line and the encoding found, with the command that converts it."""

from __future__ import annotations

import codecs
import json
import shlex

import pytest
from _data_helpers import make_cfg, prepare

from engine.data.errors import DataError
from engine.data.sources import read_csv, read_json, read_text

ROWS = ['{"text": "plain ascii"}', '{"text": "a caf\u00e9 in Stozor"}', '{"text": "last"}']


def _write(path, lines: list[str], encoding: str, bom: bytes = b""):
    path.write_bytes(bom + "".join(line + "\n" for line in lines).encode(encoding))
    return path


@pytest.mark.parametrize("reader, name, lines", [
    (read_json, "rows.jsonl", ROWS),
    (read_csv, "rows.csv", ["text", "plain ascii", "a caf\u00e9 in Stozor", "last"]),
    (read_text, "rows.txt", ["plain ascii", "a caf\u00e9 in Stozor", "last"]),
])
def test_latin1_file_names_file_line_encoding_and_the_fix(tmp_path, reader, name, lines):
    path = _write(tmp_path / name, lines, "latin-1")
    with pytest.raises(DataError) as info:
        reader(path)
    err = info.value
    line = 1 + next(i for i, text in enumerate(lines) if "\u00e9" in text)
    assert (err.file, err.line) == (str(path), line)
    message = str(err)
    assert message.startswith(f"{path}:{line}: ")
    assert "not UTF-8" in message and "0xe9" in message and "Windows-1252" in message
    assert f"iconv -f WINDOWS-1252 -t UTF-8 {shlex.quote(str(path))} >" in message


def test_utf16_file_is_named_as_utf16(tmp_path):
    path = _write(tmp_path / "rows.jsonl", ROWS, "utf-16-le", codecs.BOM_UTF16_LE)
    with pytest.raises(DataError) as info:
        read_json(path)
    assert info.value.file == str(path)
    assert "UTF-16" in str(info.value) and "iconv -f UTF-16 -t UTF-8" in str(info.value)


def test_utf16_without_bom_is_named_even_when_it_decodes_as_utf8(tmp_path):
    path = _write(tmp_path / "rows.jsonl", ['{"text": "plain"}', '{"text": "ascii"}'], "utf-16-le")
    path.read_bytes().decode("utf-8")  # ASCII in UTF-16 is valid UTF-8 (with NULs): only the NULs tell
    with pytest.raises(DataError) as info:
        read_json(path)
    assert (info.value.file, info.value.line) == (str(path), 1)
    assert "UTF-16" in str(info.value) and "iconv -f UTF-16LE -t UTF-8" in str(info.value)


def test_utf8_with_bom_just_works(tmp_path):
    jsonl = _write(tmp_path / "rows.jsonl", ROWS, "utf-8", codecs.BOM_UTF8)
    assert [r["text"] for r in read_json(jsonl).rows] == ["plain ascii", "a caf\u00e9 in Stozor", "last"]
    whole = tmp_path / "rows.json"
    whole.write_bytes(codecs.BOM_UTF8 + json.dumps([{"text": "caf\u00e9"}]).encode())
    assert read_json(whole).rows == [{"text": "caf\u00e9"}]
    csv = _write(tmp_path / "rows.csv", ["text,id", "caf\u00e9,1"], "utf-8", codecs.BOM_UTF8)
    assert read_csv(csv).rows == [{"text": "caf\u00e9", "id": "1"}]  # the header is 'text', not '\ufefftext'
    txt = _write(tmp_path / "rows.txt", ["caf\u00e9", "tea"], "utf-8", codecs.BOM_UTF8)
    assert read_text(txt).rows == [{"text": "caf\u00e9"}, {"text": "tea"}]


def test_prepare_reports_the_encoding_error_before_tokenizing(tiny_model_dir, tmp_path):
    path = _write(tmp_path / "rows.jsonl", ROWS, "cp1252")
    with pytest.raises(DataError) as info:
        prepare(make_cfg(tiny_model_dir, tmp_path, [{"path": str(path), "type": "completion"}]), use_cache=False)
    assert (info.value.file, info.value.line) == (str(path), 2) and "not UTF-8" in str(info.value)
