"""A run's log read from an offset: appended lines only, a cut line waits, a shrunk or
replaced file starts over, a long first read starts near the end."""

from __future__ import annotations

from pathlib import Path

from tui.backend import logtail
from tui.backend.logtail import read_log


def test_appended_whole_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b"one\ntw")
    first = read_log(log)
    assert first.text == "one\n" and first.restarted
    with log.open("ab") as handle:
        handle.write("o \u00e9".encode()[:-1])  # a character cut mid-write
    assert read_log(log, first.offset, first.identity).text == ""
    with log.open("ab") as handle:
        handle.write("o \u00e9".encode()[-1:] + b"\nthree\n")
    second = read_log(log, first.offset, first.identity)
    assert second.text == "two \u00e9\nthree\n" and not second.restarted
    assert read_log(log, second.offset, second.identity, growing=False).text == ""


def test_shrunk_or_replaced_logs_start_over(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("a long first run\n")
    first = read_log(log)
    log.write_text("new\n")  # the same file, shorter
    shrunk = read_log(log, first.offset, first.identity)
    assert shrunk.restarted and shrunk.text == "new\n"
    replacement = tmp_path / "other.log"
    replacement.write_text("new\nand more, longer than before\n")
    replacement.replace(log)  # another file at the path, longer
    replaced = read_log(log, shrunk.offset, shrunk.identity)
    assert replaced.restarted and replaced.text.startswith("new\n")


def test_a_long_log_starts_near_its_end_and_says_so(tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.setattr(logtail, "FIRST_READ_BYTES", 64)  # type: ignore[attr-defined]
    log = tmp_path / "run.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    chunk = read_log(log)
    assert chunk.text.startswith("[... the first ")
    assert chunk.text.endswith("line 99\n") and "line 0\n" not in chunk.text


def test_a_missing_log_is_empty_and_restarts_a_reader(tmp_path: Path) -> None:
    gone = read_log(tmp_path / "none.log", 10, (1, 2))
    assert gone.text == "" and gone.restarted and gone.offset == 0
