"""The record of one detached run, as files a later process can find: `run.json` and `log.txt`.

Written atomically (a temporary file renamed over the old one), so a reader never sees half a
record. A run whose supervisor is gone without having written how it ended (killed, or the
machine rebooted) reads as failed, never as running forever.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

RunStatus = Literal["starting", "running", "success", "failed", "stopped"]
FINISHED: frozenset[str] = frozenset({"success", "failed", "stopped"})
START_TIMEOUT_S = 30.0
"""A run still 'starting' after this long never got its supervisor going."""
RECORD = "run.json"
LOG = "log.txt"


def boot_id() -> str | None:
    """This boot of the machine; a pid from another boot means nothing."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def process_start_ticks(pid: int) -> int | None:
    """When a live `pid` started, in clock ticks since boot: tells a reused pid from the
    original. None if there is no such process, or only its zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


@dataclass
class RunRecord:
    """One run started through the backend."""

    id: str
    argv: list[str]
    cwd: str
    name: str | None = None
    status: RunStatus = "starting"
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    exit_code: int | None = None
    supervisor_pid: int | None = None
    supervisor_ticks: int | None = None
    child_pid: int | None = None
    boot_id: str | None = field(default_factory=boot_id)
    note: str | None = None

    def mark_running(self, pid: int, ticks: int | None, child_pid: int) -> None:
        """The supervisor has started the command."""
        self.status = "running"
        self.started = time.time()
        self.supervisor_pid, self.supervisor_ticks, self.child_pid = pid, ticks, child_pid

    def finish(self, *, status: RunStatus, exit_code: int | None, note: str | None = None) -> None:
        """The command has ended (or is known to be gone)."""
        self.status = status
        self.exit_code = exit_code
        self.ended = time.time()
        if note:
            self.note = note

    @property
    def finished(self) -> bool:
        """No process of this run is left."""
        return self.status in FINISHED

    def supervisor_alive(self) -> bool:
        """Whether this run's supervisor is still the process it was."""
        if self.supervisor_pid is None or self.boot_id != boot_id():
            return False
        ticks = process_start_ticks(self.supervisor_pid)
        return ticks is not None and ticks == self.supervisor_ticks


def write_record(run_dir: Path, record: RunRecord) -> None:
    """Replace `run.json` in one step."""
    partial = run_dir / f".{RECORD}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(asdict(record), indent=2))
    partial.replace(run_dir / RECORD)


def read_record(run_dir: Path) -> RunRecord:
    """The record as written last."""
    data = json.loads((run_dir / RECORD).read_text())
    return RunRecord(**data)


def settle(record: RunRecord) -> RunRecord:
    """The record as it stands: a run whose supervisor vanished without a word has failed."""
    if record.finished:
        return record
    if record.status == "starting":
        if time.time() - record.created > START_TIMEOUT_S:
            record.finish(status="failed", exit_code=None, note="never started")
        return record
    if not record.supervisor_alive():
        record.finish(
            status="failed",
            exit_code=None,
            note="its process ended without recording a status (killed, or the machine rebooted)",
        )
    return record
