"""How far a running experiment is: steps done of how many, and when it should end.

The total comes from the params (`epochs`, `n_epochs`... plus a `fine_tune_epochs` beside
it); the steps done from DVCLive's `metrics.json` (its `step`), which the listing reads anyway.
How long a step takes comes from DVCLive's `timestamp` column (milliseconds): DVCLive writes
it for a metric logged with `timestamp=True`, and always for its system metrics, logged every
second or so at the step under way. A step's time is when it first appears in such a table, so
the gaps between consecutive steps are their durations, however many rows a step has. Where no
table is timed (DVCLive's Keras and Lightning callbacks time nothing, and its system monitor
may be off), a reader that lives on (the app's) times the steps it sees happen: DVCLive
rewrites `metrics.json` at each `next_step`, so its mtime when it first says a step is done is
when that step ended.

The estimate is anchored there too: the run should end at the time its last step was written
(that mtime) plus the median of the last few durations times the steps left. The time left is
counted from that moment whenever it is shown, so it runs down between steps. Where the total,
the steps done or a duration is missing (another project's run, DVCLive without timestamps
seen by a one-shot `ls`), it is unknown: None, never a guess. A one-shot `ls` could divide the
time since our run record's start by the steps done, but that folds the run's start (DVC's
checkout, imports, reading the data, building the model: tens of seconds) into every step,
which would say a run of 5-second steps has minutes left: not a measurement, so not shown.

Cheap enough for the listing: only running rows are looked at, each DVCLive folder's timed
table is read from its end (the last few steps), then what was appended since the last call,
and `metrics.json` is read again only when it changed.
"""

from __future__ import annotations

import json
import math
import os
import posixpath
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from tui.backend.experiments import Experiment

TOTAL_KEYS = frozenset({"epochs", "n_epochs", "num_epochs", "max_epochs"})
PHASE_KEYS = ("fine_tune_epochs",)
"""Epochs of a later phase beside the total, whose steps follow the first phase's (ours)."""
RECENT = 5
"""Step durations the estimate looks at: recent enough to follow a change of pace (fine-tuning
is slower than training the head), enough that one slow step (a checkpoint) does not swing it."""
HEADER_BYTES = 4096
TAIL_BYTES = 64 << 10
"""What a first read of a timed table takes from its end, four times more until it holds the
last RECENT + 1 steps (a table of one row a step holds them at once)."""


def total_steps(params: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The number of steps (epochs) a run will log, if a parameter says so: the first
    `epochs`, `n_epochs`, `num_epochs` or `max_epochs`, plus a `fine_tune_epochs` beside it."""
    for values in params.values():
        for key, value in values.items():
            prefix, _, last = key.rpartition(".")
            if last.lower() in TOTAL_KEYS and _count(value) is not None:
                later = (values.get(f"{prefix}.{k}" if prefix else k) for k in PHASE_KEYS)
                return int(value) + sum(_count(v) or 0 for v in later)
    return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def logged_step(row: Experiment) -> tuple[str, int] | None:
    """(metrics file, step) of the last step DVCLive summarised in the row's metrics."""
    for file, metrics in row.metrics.items():
        step = _count(metrics.get("step"))
        if step is not None:
            return file, step
    return None


def steps_done(row: Experiment) -> int | None:
    """How many steps the row's run has finished, as its DVCLive summary says."""
    logged = logged_step(row)
    return logged[1] + 1 if logged is not None else None


def clock(seconds: float) -> str:
    """`0:42`, `3:10`, `1:02:03`: how durations are written everywhere in catdog-tui."""
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def step_durations(steps: Sequence[int], times: Sequence[float]) -> list[float]:
    """Seconds per step between consecutive timed steps (`times` in seconds), oldest first;
    over a gap of missed steps, its time divided among them. A step or a time that goes back
    (a run started over in the same file) starts the series again."""
    found: list[float] = []
    for (step, time), (later, then) in pairwise(zip(steps, times, strict=True)):
        if later <= step or then < time:
            found.clear()
            continue
        found.append((then - time) / (later - step))
    return found


def _median(durations: Sequence[float]) -> float:
    recent = sorted(durations[-RECENT:])
    middle = len(recent) // 2
    return recent[middle] if len(recent) % 2 else (recent[middle - 1] + recent[middle]) / 2


def time_left(durations: Sequence[float], done: int | None, total: int | None) -> float | None:
    """Seconds left: the median of the last RECENT step durations times the steps left; None
    when anything it needs is unknown, or every step is done (what follows is not timed)."""
    if not total or done is None or done >= total or not durations:
        return None
    return round(_median(durations) * (total - done), 1)


class Pace(NamedTuple):
    """How fast a run's steps go, and where it was at a known moment."""

    durations: list[float]
    """Seconds per step of the recent steps, oldest first (never empty)."""
    step: int
    """The last step known done."""
    at: float
    """When it was done (seconds since the epoch): when DVCLive wrote its summary."""


def finish_at(pace: Pace | None, total: int | None) -> float | None:
    """When the run should end (seconds since the epoch): the last step's time plus the median
    of the last RECENT durations times the steps left; None when anything it needs is
    unknown, or every step is done."""
    if pace is None or not total or pace.step + 1 >= total:
        return None
    return pace.at + _median(pace.durations) * (total - pace.step - 1)


class TimedTable:
    """The first timestamp (in seconds) of each of the last RECENT + 1 steps of one DVCLive
    table with a `timestamp` column. A first read takes the rows of the last few steps from
    the end of the file, never the whole of it (a system metric of a long run holds a row a
    second); later reads take what was appended. A file replaced or cut short (a new run) is
    read afresh."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.starts: deque[tuple[int, float]] = deque(maxlen=RECENT + 1)
        self._identity: tuple[int, int] | None = None
        self._columns: tuple[int, int] | None = None
        """Where `step` and `timestamp` are in a row, once the header is read."""
        self._offset = 0
        self._last = b""
        """The last line taken, which must still be in place for a read to go on from it."""

    def poll(self) -> None:
        """Take what was written since the last call."""
        try:
            with self.path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                identity = (stat.st_dev, stat.st_ino)
                if identity != self._identity or not self._still_there(handle, stat.st_size):
                    self._start_over(identity)
                if self._columns is None:
                    self._read_last_steps(handle, stat.st_size)
                else:
                    handle.seek(self._offset)
                    self._take(handle.read(stat.st_size - self._offset), self._offset)
        except OSError:
            self._start_over(None)

    def _start_over(self, identity: tuple[int, int] | None) -> None:
        self.starts.clear()
        self._identity, self._columns, self._offset, self._last = identity, None, 0, b""

    def _still_there(self, handle: BinaryIO, size: int) -> bool:
        if not self._offset:
            return True
        if size < self._offset:
            return False
        handle.seek(self._offset - len(self._last))
        return handle.read(len(self._last)) == self._last

    def _read_last_steps(self, handle: BinaryIO, size: int) -> None:
        header = handle.readline(HEADER_BYTES)
        columns = header.decode("utf-8", errors="replace").strip().split("\t")
        if not header.endswith(b"\n") or "step" not in columns or "timestamp" not in columns:
            return  # not written yet, or not a timed table: looked at again next time
        self._columns = (columns.index("step"), columns.index("timestamp"))
        self._offset = data_start = len(header)
        window = TAIL_BYTES
        while True:
            begin = max(data_start, size - window)
            handle.seek(begin)
            data = handle.read(size - begin)
            # A window that starts mid-file starts mid-line, and maybe mid-step: that step's
            # first row may lie before it, so it takes one step more than it keeps.
            first = 0 if begin == data_start else data.find(b"\n") + 1 or len(data)
            starts = self._starts_of(data[first : data.rfind(b"\n") + 1], None)
            if begin == data_start or len(starts) > RECENT + 1:
                break
            window *= 4
        self.starts.extend(starts if begin == data_start else starts[1:])
        self._consumed(data, begin)

    def _take(self, data: bytes, at: int) -> None:
        known = self.starts[-1][0] if self.starts else None
        self.starts.extend(self._starts_of(data[: data.rfind(b"\n") + 1], known))
        self._consumed(data, at)

    def _consumed(self, data: bytes, at: int) -> None:
        end = data.rfind(b"\n") + 1
        if end:
            self._offset = at + end
            self._last = data[data.rfind(b"\n", 0, end - 1) + 1 : end]

    def _starts_of(self, lines: bytes, step_before: int | None) -> list[tuple[int, float]]:
        assert self._columns is not None
        at_step, at_time = self._columns
        starts: list[tuple[int, float]] = []
        for line in lines.split(b"\n"):
            cells = line.split(b"\t")
            try:
                step, time = int(cells[at_step]), float(cells[at_time]) / 1000
            except (IndexError, ValueError):
                continue  # a blank or malformed row: DVC's plots skip it too
            if step != step_before:
                starts.append((step, time))
                step_before = step
        return starts


class StepClock:
    """Step durations of one DVCLive folder, followed between calls: from a timed table in it,
    else from the steps this clock saw DVCLive's summary (`metrics.json`) say were done."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._timed: dict[Path, tuple[int, bool]] = {}
        self._table: TimedTable | None = None
        self._summary = folder / "metrics.json"
        self._summary_read: tuple[int, int, int] | None = None
        """(inode, mtime, size) of the summary last read whole, not read again while so."""
        self.seen: deque[tuple[int, float]] = deque(maxlen=RECENT + 1)
        """(step, mtime of the summary when it first said so) of the last steps seen done."""

    def pace(self) -> Pace | None:
        """The recent steps' durations and the last step seen done, with its time; None until
        a step was seen done and a duration is known."""
        self._look_at_summary()
        if not self.seen:
            return None
        durations = self._timed_durations() or step_durations(
            [step for step, _ in self.seen], [time for _, time in self.seen]
        )
        step, at = self.seen[-1]
        return Pace(durations, step, at) if durations else None

    def durations(self) -> list[float]:
        """Seconds per step of the recent steps, oldest first; empty when none is known."""
        pace = self.pace()
        return pace.durations if pace is not None else []

    def _timed_durations(self) -> list[float]:
        path = self._timed_table()
        if path is None:
            return []
        if self._table is None or self._table.path != path:
            self._table = TimedTable(path)
        self._table.poll()
        starts = self._table.starts
        return step_durations([step for step, _ in starts], [time for _, time in starts])

    def _look_at_summary(self) -> None:
        try:
            with self._summary.open("rb") as handle:
                before = os.fstat(handle.fileno())
                identity = (before.st_ino, before.st_mtime_ns, before.st_size)
                if identity == self._summary_read:
                    return
                data = handle.read()
                after = os.fstat(handle.fileno())
        except OSError:
            return  # not written yet, or gone: the last step seen stays
        if (after.st_mtime_ns, after.st_size) != identity[1:]:
            return  # written while read: its mtime may not be this step's, looked at again
        try:
            step = _count(json.loads(data).get("step"))
        except (ValueError, AttributeError):
            return  # cut short by a write under way (DVCLive truncates, then writes)
        self._summary_read = identity
        if step is None:
            return
        if self.seen and step < self.seen[-1][0]:
            self.seen.clear()  # a new run in the same folder
        # A summary written again at the same step (`Live.end`) keeps the step's first time.
        if not self.seen or step > self.seen[-1][0]:
            self.seen.append((step, before.st_mtime))

    def _timed_table(self) -> Path | None:
        tables = self.folder / "plots" / "metrics"
        timed = [path for path in sorted(tables.rglob("*.tsv")) if self._has_times(path)]
        # A metric logged once a step reads in fewer rows than a system metric of every second.
        timed.sort(key=lambda path: path.relative_to(tables).parts[0] == "system")
        return timed[0] if timed else None

    def _has_times(self, path: Path) -> bool:
        try:
            inode = path.stat().st_ino
        except OSError:
            return False
        known = self._timed.get(path)
        if known is not None and known[0] == inode:
            return known[1]
        try:
            with path.open("rb") as handle:
                header = handle.readline(HEADER_BYTES)
        except OSError:
            return False
        if not header.endswith(b"\n"):
            return False  # not written yet: looked at again next time
        columns = header.decode("utf-8", errors="replace").strip().split("\t")
        timed = "timestamp" in columns and "step" in columns
        self._timed[path] = (inode, timed)
        return timed


class EtaReader:
    """When running rows of one repository should end, their DVCLive folders followed between
    calls (a reader that lives on also times steps that no table times). Safe to call from
    several threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._clocks: dict[Path, StepClock] = {}
        self._lock = threading.Lock()

    def finish_at(self, row: Experiment) -> float | None:
        """When the row's run should end (seconds since the epoch); None unless it runs and
        that can be measured."""
        with self._lock:
            return self._finish_at(row, self._clocks)

    def with_eta(self, rows: Iterable[Experiment]) -> list[Experiment]:
        """`rows`, each running one whose end can be measured replaced by a copy that has it
        (`eta_at`). Folders of runs no longer listed as running are forgotten."""
        with self._lock:
            followed: dict[Path, StepClock] = {}
            found = []
            for row in rows:
                eta = self._finish_at(row, followed) if row.status == "running" else None
                found.append(row.with_eta(eta) if eta is not None else row)
            self._clocks = followed
        return found

    def _finish_at(self, row: Experiment, followed: dict[Path, StepClock]) -> float | None:
        if row.status != "running":
            return None
        logged = logged_step(row)
        total = total_steps(row.params)
        if logged is None or total is None or logged[1] + 1 >= total:
            return None
        file, _ = logged
        root = Path(row.live_root) if row.live_root else self.root
        folder = root / posixpath.dirname(file)
        clock = followed[folder] = self._clocks.get(folder) or StepClock(folder)
        return finish_at(clock.pace(), total)
