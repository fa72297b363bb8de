"""The log tail reader: byte offsets, partial lines, tqdm carriage returns, big files, truncation."""

from __future__ import annotations

from pathlib import Path

from engine.runs.log_tail import LogTail
from engine.runs.term_lines import LineScreen, collapse_cr


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_collapse_cr_keeps_the_last_visible_segment() -> None:
    assert collapse_cr("plain") == "plain"
    assert collapse_cr(" 10%|#\r 20%|##\r 30%|###") == " 30%|###"
    assert collapse_cr("done\r") == "done"  # Windows line end, or a bar that ends on \r
    assert collapse_cr("\r\r") == ""
    assert collapse_cr("abcdef\rXY") == "XYcdef"  # a shorter rewrite leaves the tail, as on a terminal


def test_reads_incrementally_and_holds_the_partial_line(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    assert tail.read().lines == []  # no file yet
    append(log, b"one\ntwo\nthr")
    chunk = tail.read()
    assert chunk.lines == ["one"] and chunk.live == ["two", "thr"]  # the row above the cursor may still change
    assert not tail.read().changed  # nothing new
    append(log, b"ee\nfour")
    chunk = tail.read()
    assert chunk.lines == ["two"] and chunk.live == ["three", "four"]


def test_tqdm_bar_across_reads_collapses_to_its_final_state(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    append(log, b"start\n\r  0%|     | 0/3")
    assert tail.read().live == ["start", "  0%|     | 0/3"]
    append(log, b"\r 33%|#    | 1/3\r 66%|##   | 2")
    assert tail.read().live == ["start", " 66%|##   | 2"]
    append(log, b"/3\r100%|#####| 3/3\nnext\n")
    chunk = tail.read()
    assert chunk.lines == ["start", "100%|#####| 3/3"] and chunk.live == ["next"]


def test_a_bar_that_never_ends_its_line_stays_small(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    for i in range(20_000):
        append(log, f"\r{i:6d}/20000 it".encode())
        if i % 5000 == 0:
            tail.read()
    chunk = tail.read()
    assert chunk.live == [" 19999/20000 it"]
    assert len(tail._pending) < 100


def test_attach_to_a_big_file_starts_near_its_end_on_a_line_boundary(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"".join(f"line {i:07d}\n".encode() for i in range(100_000)))  # 1.3 MB
    tail = LogTail(log, start_bytes=10_000)
    chunk = tail.read()
    assert chunk.skipped_bytes > 1_000_000
    rows = chunk.lines + chunk.live
    assert rows[-1] == "line 0099999"
    assert all(line.startswith("line ") and len(line) == 12 for line in rows)  # no half line first
    assert 700 < len(rows) <= 10_000 // 13 + 1


def test_far_behind_a_flood_it_jumps_ahead_instead_of_lagging(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log, max_read=1000)
    tail.read()
    log.write_bytes(b"".join(f"{i:09d}\n".encode() for i in range(10_000)))  # 100 KB > 8 reads
    chunk = tail.read()
    assert chunk.skipped_bytes > 0
    assert all(len(line) == 9 for line in chunk.lines + chunk.live)


def test_truncated_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log)
    log.write_bytes(b"a long first line\nsecond\n")
    tail.read()
    log.write_bytes(b"new\n")
    chunk = tail.read()
    assert chunk.lines == [] and chunk.live == ["new"]


def test_invalid_utf8_does_not_break_reading(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_bytes(b"ok \xff\xfe bytes\n\xe2\x9c")  # a bad byte, and a character cut in half at the end
    tail = LogTail(log)
    chunk = tail.read()
    assert chunk.live[0].startswith("ok ")
    append(log, b"\x93 done\n")  # the rest of the check mark
    assert tail.read().live == ["✓ done"]


# tqdm's nested bars, in the order and shape transformers' Trainer wrote them during an evaluation (a real
# train.log, bars shortened): the eval bar is drawn one row down and the cursor moved back up with ESC[A.
def bar(done: int, total: int) -> str:
    return f"{done * 100 // total:3d}%|{'#' * (done * 10 // total):10s}| {done}/{total}".ljust(24)


CLEAR = " " * 24
NESTED = (
    f"\r{bar(9, 30)}\r{bar(10, 30)}\r{CLEAR}\r{{'loss': '5.997'}}\n"
    f"\r{bar(10, 30)}\n"
    f"\r{bar(0, 6)}\x1b[A\n"
    f"\r{bar(2, 6)}\x1b[A\n"
    f"\r{bar(5, 6)}\x1b[A\n"
    f"\r{bar(6, 6)}\x1b[A\r{CLEAR}\r\n"
    f"\r{CLEAR}\r\x1b[A{{'eval_loss': '5.994'}}\n"
    f"\r{bar(10, 30)}\n"
    f"\r{bar(6, 6)}\x1b[A\n"
    f"\r{CLEAR}\x1b[A\r{bar(11, 30)}\r{CLEAR}\r{{'loss': '6.287'}}\n"
    f"\r{bar(11, 30)}\r{bar(12, 30)}"
)


def screen_rows(chunks: list[str]) -> list[str]:
    """Feed the text in pieces through a LogTail and return what the pane would hold (final + live rows)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "train.log"
        tail, rows = LogTail(log), []
        live: list[str] = []
        for piece in chunks:
            append(log, piece.encode())
            chunk = tail.read()
            rows += chunk.lines
            live = chunk.live if chunk.changed else live
        return rows + live


def test_nested_progress_bars_end_as_a_terminal_shows_them() -> None:
    expected = ["{'loss': '5.997'}", "{'eval_loss': '5.994'}", "{'loss': '6.287'}", bar(12, 30).rstrip()]
    assert screen_rows([NESTED]) == expected
    # The same bytes arriving in arbitrary pieces (polls land anywhere) give the same rows.
    for size in (1, 7, 50):
        assert screen_rows([NESTED[i : i + size] for i in range(0, len(NESTED), size)]) == expected


def test_eval_bar_is_live_while_it_runs() -> None:
    rows = screen_rows([NESTED.split(f"\r{bar(5, 6)}")[0]])
    assert rows[-2:] == [bar(10, 30).rstrip(), bar(2, 6).rstrip()]  # the training bar, the eval bar under it


def test_plain_lines_become_final_one_row_behind() -> None:
    for fast in (False, True):
        screen = LineScreen()
        assert screen.feed(["a", "b\rc"], may_move_up=not fast) == ["a"]
        assert screen.live() == ["c"]
        assert screen.feed(["d", "e"], may_move_up=not fast) == ["c", "d"] and screen.live("f") == ["e", "f"]


def test_jumping_ahead_keeps_older_rows_before_the_gap(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    tail = LogTail(log, max_read=1000)
    log.write_bytes(b"first\nsecond\n")
    assert tail.read().live == ["second"]
    append(log, b"".join(f"{i:09d}\n".encode() for i in range(10_000)))
    chunk = tail.read()
    assert chunk.skipped_bytes > 0 and chunk.lines[: chunk.skipped_at] == ["second"]  # then the gap, then new
    assert all(len(line) == 9 for line in chunk.lines[chunk.skipped_at :] + chunk.live)
