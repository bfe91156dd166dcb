"""Readers for a DVCLive directory that another process is writing while we read.

DVCLive writes nothing atomically: TSV rows are appended, JSON files are truncated and
rewritten. So the TSV reader keeps a byte offset, consumes only complete lines and starts over
when the file shrinks or is replaced (as at the start of every run), which it tells by the
bytes it consumed (the first and last WINDOW of them) no longer being there; the JSON readers
keep the last value that parsed. A half-written file never yields a wrong point or loses a
good one. A TSV of any length is kept downsampled (`downsample`), read in bounded pieces.

Not thread-safe: one caller at a time (`history.LiveReader` serialises its callers).
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tui.backend.downsample import MAX_POINTS
from tui.backend.steptable import PIECE, StepTable
from tui.backend.steptable import Series as Series  # where the app has always found it

HOT_SECONDS = 2.0
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
WINDOW = 64 << 10
"""Bytes at each end of what a tail consumed that must be unchanged for it to read on."""


class TsvTail:
    """Incremental reader of one per-step table on disk (a DVCLive metric TSV by default).

    Reads what was appended in pieces of bounded size (`steptable.PIECE`) into a downsampled
    table (`downsample.MAX_POINTS` points per column), so a file of any length costs bounded
    memory, and a poll costs what was appended, not the file's length.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        *,
        x: str | None = None,
        y: tuple[str, ...] = (),
        delimiter: str = "\t",
        limit: int = MAX_POINTS,
    ) -> None:
        self.path = path
        self.name = name
        self._x, self._y, self._delimiter, self._limit = x, y, delimiter, limit
        self.table = self._new_table()
        self._offset = 0
        self._signature: tuple[int, int, int, int, int] | None = None
        self._head = b""
        self._recent = b""

    def _new_table(self) -> StepTable:
        return StepTable(delimiter=self._delimiter, x=self._x, y=self._y, limit=self._limit)

    @property
    def series(self) -> Series:
        """The (first) value column, named after this tail."""
        fields = self.table.fields
        return self.table.series(fields[0], self.name) if fields else Series(self.name)

    def _reset(self) -> None:
        self.table = self._new_table()
        self._offset = 0
        self._head = self._recent = b""

    def _still_the_same_file(self, handle: BinaryIO) -> bool:
        # A new run may rewrite the file on a reused inode and grow it past our offset before
        # we look, even with the same last line: the bytes we consumed must still be there.
        # The first and the last WINDOW bytes consumed are compared (all of them in a file of
        # up to twice that): a rewrite that keeps both, timestamps included, is not a new run
        # worth telling apart, and a long file is not read again on every change.
        if not self._offset:
            return True
        if handle.read(len(self._head)) != self._head:
            return False
        handle.seek(self._offset - len(self._recent))
        return handle.read(len(self._recent)) == self._recent

    def poll(self) -> bool:
        """Read what was appended since the last call; True if the series changed."""
        had_points = bool(self.table.rows)
        try:
            stat = self.path.stat()
            signature = (
                stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns
            )  # fmt: skip
            # Unchanged and not just written: nothing to read. A file written moments ago is
            # checked anyway, since a rewrite of the same size can fall within one mtime tick.
            if signature == self._signature and time.time() - stat.st_mtime >= HOT_SECONDS:
                return False
            self._signature = signature
            if stat.st_size < self._offset:
                self._reset()
            with self.path.open("rb") as handle:
                if not self._still_the_same_file(handle):
                    self._reset()
                handle.seek(self._offset)
                grew = self._read_appended(handle)
        except FileNotFoundError:
            self._reset()
            self._signature = None
            return had_points
        return grew or (had_points and not self.table.rows)

    def _read_appended(self, handle: BinaryIO) -> bool:
        changed = False
        pending = b""
        while block := handle.read(PIECE):
            pending += block
            end = pending.rfind(b"\n")
            if end < 0:
                continue  # one very long line: keep reading until it ends
            complete, pending = pending[: end + 1], pending[end + 1 :]
            self._remember(complete)
            changed |= self.table.feed(complete)
        return changed

    def _remember(self, consumed: bytes) -> None:
        self._offset += len(consumed)
        if len(self._head) < WINDOW:
            self._head += consumed[: WINDOW - len(self._head)]
        self._recent = (self._recent + consumed[-WINDOW:])[-WINDOW:]


class JsonFile:
    """A JSON file that is rewritten in place: re-read when it changes, keep the last good value."""

    def __init__(self, path: Path, parse: Callable[[bytes], Any] = json.loads) -> None:
        self.path = path
        self.parse = parse
        """How the bytes are read: JSON by default (any parser that raises ValueError)."""
        self.value: Any = None
        self.stale = False
        """True while the file on disk does not parse (being written); `value` is the last good."""
        self._signature: tuple[int, int, int, int] | None = None

    def poll(self) -> bool:
        """True if a new good value was read."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return False
        signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        # A file modified within the last moments is read again even at the same signature:
        # a rewrite of the same size can fall within one mtime tick.
        hot = time.time() - stat.st_mtime < HOT_SECONDS
        if signature == self._signature and not hot:
            return False
        try:
            value = self.parse(self.path.read_bytes())
        except (OSError, ValueError):
            self.stale = True
            # Not remembered: the writer may finish within the same mtime tick.
            return False
        self._signature = signature
        self.stale = False
        if value == self.value:
            return False
        self.value = value
        return True


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts per (actual, predicted) class, with the classes in a stable order."""

    classes: tuple[str, ...]
    counts: dict[tuple[str, str], int]

    def count(self, actual: str, predicted: str) -> int:
        """How many of class `actual` were predicted as `predicted`."""
        return self.counts.get((actual, predicted), 0)

    @property
    def total(self) -> int:
        """All predictions."""
        return sum(self.counts.values())

    @property
    def accuracy(self) -> float:
        """Share of predictions on the diagonal."""
        total = self.total
        return sum(self.count(c, c) for c in self.classes) / total if total else math.nan

    def recall(self, cls: str) -> float:
        """Of the `cls` examples, the share predicted as `cls`."""
        row = sum(self.count(cls, other) for other in self.classes)
        return self.count(cls, cls) / row if row else math.nan

    def precision(self, cls: str) -> float:
        """Of the `cls` predictions, the share that were `cls`."""
        column = sum(self.count(other, cls) for other in self.classes)
        return self.count(cls, cls) / column if column else math.nan


def _class_order(names: set[str]) -> tuple[str, ...]:
    def key(name: str) -> tuple[int, float, str]:
        try:
            return (0, float(name), name)
        except ValueError:
            return (1, 0.0, name)

    return tuple(sorted(names, key=key))


def confusion_matrix(
    data: Any, actual_key: str = "actual", predicted_key: str = "predicted"
) -> ConfusionMatrix | None:
    """Aggregate DVCLive's per-sample confusion JSON (a list of {actual, predicted} rows, or a
    dict holding one such list); None if the data is not of that shape."""
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    if not isinstance(data, list):
        return None
    counts: Counter[tuple[str, str]] = Counter()
    for row in data:
        if not isinstance(row, dict) or actual_key not in row or predicted_key not in row:
            return None
        counts[(str(row[actual_key]), str(row[predicted_key]))] += 1
    classes = _class_order({a for a, _ in counts} | {p for _, p in counts})
    return ConfusionMatrix(classes, dict(counts))


def curve(data: Any, x: str, y: str) -> tuple[list[float], list[float]] | None:
    """The (x, y) points of a DVCLive sklearn curve JSON such as `{"roc": [{fpr, tpr}, ...]}`."""
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    if not isinstance(data, list):
        return None
    xs, ys = [], []
    for row in data:
        try:
            xs.append(float(row[x]))
            ys.append(float(row[y]))
        except (KeyError, TypeError, ValueError):
            return None
    return xs, ys


class LiveDir:
    """Everything a DVCLive directory holds, polled incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metrics_json = JsonFile(path / "metrics.json")
        self.tails: dict[str, TsvTail] = {}
        self.sklearn: dict[str, JsonFile] = {}

    @property
    def metrics_dir(self) -> Path:
        """Where DVCLive writes its per-step TSVs."""
        return self.path / "plots" / "metrics"

    def _discover(self) -> None:
        for tsv in sorted(self.metrics_dir.rglob("*.tsv")):
            name = tsv.relative_to(self.metrics_dir).with_suffix("").as_posix()
            if name not in self.tails:
                self.tails[name] = TsvTail(tsv, name)
        sklearn_dir = self.path / "plots" / "sklearn"
        for data in sorted(sklearn_dir.rglob("*.json")):
            name = data.relative_to(sklearn_dir).with_suffix("").as_posix()
            self.sklearn.setdefault(name, JsonFile(data))

    def poll(self) -> set[str]:
        """Names of what changed: metric names, `metrics.json`, sklearn plot names."""
        self._discover()
        changed = {name for name, tail in self.tails.items() if tail.poll()}
        if self.metrics_json.poll():
            changed.add("metrics.json")
        changed |= {f"sklearn/{name}" for name, plot in self.sklearn.items() if plot.poll()}
        return changed

    def series(self) -> dict[str, Series]:
        """Every per-step metric with at least one point."""
        return {name: tail.series for name, tail in self.tails.items() if tail.series.steps}

    def confusion(self, name: str = "confusion_matrix") -> ConfusionMatrix | None:
        """The aggregated confusion matrix, if the run has logged one."""
        plot = self.sklearn.get(name)
        return confusion_matrix(plot.value) if plot is not None else None

    def images(self) -> Iterator[Path]:
        """Logged images, by path."""
        images_dir = self.path / "plots" / "images"
        if images_dir.is_dir():
            for path in sorted(images_dir.rglob("*")):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    yield path
