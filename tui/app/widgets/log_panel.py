"""The Logs tab: the highlighted row's run log, followed as it grows.

The panel owns what it follows (the row, the file, the byte offset reached) and the worker
that reads: a highlight change follows another row, a file event reads only what was
appended, and a read that comes back after the panel moved on is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Log
from textual.worker import get_current_worker

from tui.app.messages import LogRead
from tui.backend.experiments import Experiment
from tui.backend.service import Backend

MAX_LINES = 5000


def no_log_note(row: Experiment | None) -> str:
    """Why there is no log to show for this row."""
    if row is None:
        return "No experiment highlighted."
    if row.kind == "workspace":
        return "No run is going in the workspace: r runs one, e edits params first."
    if row.kind == "baseline":
        return f"{row.label} is a commit: its experiments, below it, have the logs."
    return f"No log for {row.label}: it was run neither from catdog-tui nor through the queue."


class LogPanel(Log):
    """A Log that follows one row's run log."""

    def __init__(self, backend: Backend, **kwargs: Any) -> None:
        super().__init__(max_lines=MAX_LINES, **kwargs)
        self.backend = backend
        self.row: Experiment | None = None
        self.path: Path | None = None
        self.log_offset = 0
        self.identity: tuple[int, int] | None = None
        self.generation = 0

    def follow(self, row: Experiment | None) -> None:
        """Show this row's log: from the start when it is another row, else what is new."""
        same = (row.key if row else None) == (self.row.key if self.row else None)
        self.row = row
        if not same:
            self.generation += 1
            self.path, self.log_offset, self.identity = None, 0, None
        self.poll()

    def poll(self) -> None:
        """Read what was appended since the last read (in a worker)."""
        self.read(self.row, self.generation, self.path, self.log_offset, self.identity)

    @work(thread=True, exclusive=True, group="log", exit_on_error=False,
          description="read a run's log")  # fmt: skip
    def read(
        self,
        row: Experiment | None,
        generation: int,
        path: Path | None,
        offset: int,
        identity: tuple[int, int] | None,
    ) -> None:
        """Find the row's log (run records: not on the event loop) and read past `offset`."""
        found = self.backend.log_of(row) if row is not None else None
        if found != path:
            offset, identity = 0, None
        growing = row is not None and row.status in ("running", "workspace")
        chunk = self.backend.read_log(found, offset, identity, growing=growing)
        if not get_current_worker().is_cancelled:
            self.post_message(LogRead(generation, offset, chunk, no_log_note(row)))

    def on_log_read(self, message: LogRead) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # read for a row no longer followed
        chunk = message.chunk
        if chunk.path == self.path and not chunk.restarted and message.requested != self.log_offset:
            return  # a late read of text already shown
        if chunk.path != self.path or chunk.restarted or not self.line_count:
            self.clear()
            if chunk.path is None:
                self.write_line(message.note)
        self.path, self.log_offset, self.identity = chunk.path, chunk.offset, chunk.identity
        if chunk.text:
            # Log writes plain text: nothing from the file is read as markup.
            self.write(Text(chunk.text).plain)
