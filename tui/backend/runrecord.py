"""The record of one detached run, as files a later process can find: `run.json` and `log.txt`.

Written atomically (a temporary file renamed over the old one), so a reader never sees half a
record. A run whose supervisor is gone without having written how it ended (killed, or the
machine rebooted) reads as failed, never as running forever.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

RunStatus = Literal["starting", "running", "success", "failed", "stopped"]
_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))
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
    baseline: str | None = None
    """The commit the run started from."""
    restore: dict[str, str] = field(default_factory=dict)
    """Params files the run overrides, as they were before it: put back if it fails."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields written by another version of the tool: kept, and written back as they were."""
    damaged: bool = False
    """run.json could not be read: shown as it stands, never written over."""

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
    if record.damaged:
        return
    data = asdict(record)
    data.pop("damaged")
    data.update(data.pop("extra"))
    partial = run_dir / f".{RECORD}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(data, indent=2))
    partial.replace(run_dir / RECORD)


_FIELDS = frozenset(f.name for f in fields(RunRecord)) - {"extra", "damaged"}


def read_record(run_dir: Path) -> RunRecord:
    """The record as written last, by this version or another: unknown fields are kept aside,
    and a record that cannot be read at all comes back as a damaged, failed one rather than
    vanishing (FileNotFoundError only when there is none)."""
    text = (run_dir / RECORD).read_text(errors="replace")
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        record = RunRecord(**{key: value for key, value in data.items() if key in _FIELDS})
        if not isinstance(record.argv, list) or record.status not in _STATUSES:
            raise TypeError(f"status {record.status!r}, argv {record.argv!r}")
    except (ValueError, TypeError) as error:
        return RunRecord(
            id=run_dir.name,
            argv=[],
            cwd="",
            status="failed",
            note=f"{RECORD} cannot be read ({error}): written by another tool or damaged",
            damaged=True,
        )
    record.extra = {key: value for key, value in data.items() if key not in _FIELDS}
    return record


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
