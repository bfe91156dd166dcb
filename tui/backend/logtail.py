"""A run's log read from a byte offset: only what was appended since the last read.

A reader keeps the offset it reached and asks again; it gets whole lines only (a multi-byte
character or a line cut by a write in progress waits for the next read), and a file that
shrank or was replaced (a new run writing the same path) starts over, flagged so the reader
can clear what it shows. A first read of a long log starts near its end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

FIRST_READ_BYTES = 256 * 1024
"""How much of the end of a long log a first read shows (a screenful many times over)."""
MAX_READ_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class LogChunk:
    """New text of a log, and where the next read starts."""

    path: Path | None
    text: str
    offset: int
    """Where the next read starts."""
    identity: tuple[int, int] | None
    """(device, inode) of the file read: a different one next time means it was replaced."""
    restarted: bool
    """What was shown before is not the start of this file: clear it."""


def read_log(
    path: Path | None,
    offset: int = 0,
    identity: tuple[int, int] | None = None,
    *,
    growing: bool = True,
) -> LogChunk:
    """The lines of `path` past `offset` (as returned by the previous read). While the log is
    `growing`, a last line without its newline waits for the next read."""
    if path is None:
        return LogChunk(None, "", 0, None, restarted=offset > 0)
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            now = (status.st_dev, status.st_ino)
            restarted = offset == 0 or now != identity or status.st_size < offset
            start = max(0, status.st_size - FIRST_READ_BYTES) if restarted else offset
            handle.seek(start)
            data = handle.read(MAX_READ_BYTES)
    except OSError:
        return LogChunk(path, "", 0, None, restarted=offset > 0)
    header = ""
    if restarted and start > 0:
        cut = data.find(b"\n") + 1
        data, start = data[cut:], start + cut
        header = f"[... the first {start} bytes of {path.name} are not shown ...]\n"
    if growing:
        data = data[: data.rfind(b"\n") + 1]
    text = header + data.decode("utf-8", errors="replace")
    return LogChunk(path, text, start + len(data), now, restarted)
