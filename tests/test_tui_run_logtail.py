"""The log tail reader: byte offsets, partial lines, tqdm carriage returns, big files, truncation."""

from __future__ import annotations

from pathlib import Path

from tui.widgets.log_tail import LogTail, collapse_cr


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_collapse_cr_keeps_the_last_visible_segment() -> None:
    assert collapse_cr("plain") == "plain"
    assert collapse_cr(" 10%|#\r 20%|##\r 30%|###") == " 30%|###"
    assert collapse_cr("done\r") == "done"  # Windows line end, or a bar that ends on \r
    assert collapse_cr("\r\r") == ""


def test_reads_incrementally_and_holds_the_partial_line(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    assert tail.read().lines == []  # no file yet
    append(log, b"one\ntwo\nthr")
    chunk = tail.read()
    assert chunk.lines == ["one", "two"] and chunk.pending == "thr"
    assert not tail.read().changed  # nothing new
    append(log, b"ee\nfour")
    chunk = tail.read()
    assert chunk.lines == ["three"] and chunk.pending == "four"


def test_tqdm_bar_across_reads_collapses_to_its_final_state(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    append(log, b"start\n\r  0%|     | 0/3")
    assert tail.read().pending == "  0%|     | 0/3"
    append(log, b"\r 33%|#    | 1/3\r 66%|##   | 2")
    assert tail.read().pending == " 66%|##   | 2"
    append(log, b"/3\r100%|#####| 3/3\nnext\n")
    chunk = tail.read()
    assert chunk.lines == ["100%|#####| 3/3", "next"] and chunk.pending is None


def test_a_bar_that_never_ends_its_line_stays_small(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    for i in range(20_000):
        append(log, f"\r{i:6d}/20000 it".encode())
        if i % 5000 == 0:
            tail.read()
    chunk = tail.read()
    assert chunk.pending == " 19999/20000 it"
    assert len(tail._pending) < 100


def test_attach_to_a_big_file_starts_near_its_end_on_a_line_boundary(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"".join(f"line {i:07d}\n".encode() for i in range(100_000)))  # 1.3 MB
    tail = LogTail(log, start_bytes=10_000)
    chunk = tail.read()
    assert chunk.skipped_bytes > 1_000_000
    assert chunk.lines[-1] == "line 0099999"
    assert all(line.startswith("line ") and len(line) == 12 for line in chunk.lines)  # no half line first
    assert 700 < len(chunk.lines) <= 10_000 // 13 + 1


def test_far_behind_a_flood_it_jumps_ahead_instead_of_lagging(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log, max_read=1000)
    tail.read()
    log.write_bytes(b"".join(f"{i:09d}\n".encode() for i in range(10_000)))  # 100 KB > 8 reads
    chunk = tail.read()
    assert chunk.skipped_bytes > 0
    assert all(len(line) == 9 for line in chunk.lines)


def test_truncated_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    log.write_bytes(b"a long first line\nsecond\n")
    tail.read()
    log.write_bytes(b"new\n")
    assert tail.read().lines == ["new"]


def test_invalid_utf8_does_not_break_reading(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"ok \xff\xfe bytes\n\xe2\x9c")  # a bad byte, and a character cut in half at the end
    tail = LogTail(log)
    chunk = tail.read()
    assert chunk.lines[0].startswith("ok ")
    append(log, b"\x93 done\n")  # the rest of the check mark
    assert tail.read().lines == ["✓ done"]
