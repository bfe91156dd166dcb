"""A per-step metrics table (DVCLive's TSVs, or any TSV/CSV plot file) read as a stream.

Bytes of complete lines go in, in pieces of any size; one downsampled series per value column
comes out (see `downsample`), so a table of any length costs bounded memory once read. The
columns follow DVC's reading of such a file: the first line names them; x is the declared
field, else `step`, else the row number (DVC's index); the values are the declared y fields,
else the last column that is neither x nor `timestamp` (DVCLive writes `timestamp`, `step`,
then the value). A row that does not parse is skipped, a table with no value column has no
series: nothing here raises on content.

Big pieces are parsed by numpy in one call when every row is well-formed (checked by counting
separators and numbers), and row by row otherwise: a 100 MB TSV reads in about a second or two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from tui.backend.downsample import MAX_POINTS, Downsampler

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

PIECE = 4 << 20
"""Bytes parsed at once: bounds the transient memory of a read, whatever the file's size."""
_FAST_MIN = 64 << 10
"""Below this, parsing row by row costs less than setting numpy up."""
_NOT_VALUES = frozenset({"step", "timestamp"})


@dataclass
class Series:
    """One per-step metric: steps and values in the order they were logged, at most
    `downsample.MAX_POINTS` of them (`logged` says how many there were)."""

    name: str
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    logged: int = 0


class StepTable:
    """Rows of one per-step table, fed incrementally; see the module docstring."""

    def __init__(
        self,
        *,
        delimiter: str = "\t",
        x: str | None = None,
        y: Sequence[str] = (),
        limit: int = MAX_POINTS,
    ) -> None:
        self.delimiter = delimiter.encode()
        self.x = x
        self.y = tuple(y)
        self.limit = limit
        self.columns: list[str] | None = None
        self.rows = 0
        """Data rows seen, well-formed or not (the index DVC uses when there is no x)."""
        self._x_at: int | None = None
        self._y_at: dict[str, int] = {}
        self._samplers: dict[str, Downsampler] = {}
        self._snapshots: dict[str, tuple[list[int], list[float]]] = {}

    @property
    def fields(self) -> list[str]:
        """The value columns, once the header has been read."""
        return list(self._y_at)

    def points(self, column: str) -> tuple[list[int], list[float]]:
        """(steps, values) kept for a value column; new lists on each change, never mutated
        afterwards (a caller on another thread may hold them)."""
        snapshot = self._snapshots.get(column)
        if snapshot is None:
            sampler = self._samplers.get(column)
            snapshot = sampler.points() if sampler is not None else ([], [])
            self._snapshots[column] = snapshot
        return snapshot

    def series(self, column: str, name: str) -> Series:
        """A value column as a Series (a snapshot, like `points`)."""
        steps, values = self.points(column)
        sampler = self._samplers.get(column)
        return Series(name, steps, values, sampler.count if sampler is not None else 0)

    def feed(self, data: bytes | memoryview) -> bool:
        """Consume lines; the last one counts even without a line end, so a caller that reads
        a file still being written passes complete lines only. True if a point was added."""
        view = memoryview(data)
        return self.feed_pieces(bytes(view[at : at + PIECE]) for at in range(0, len(view), PIECE))

    def feed_file(self, handle: BinaryIO) -> bool:
        """Consume a whole file from where `handle` stands, PIECE bytes at a time."""
        return self.feed_pieces(iter(lambda: handle.read(PIECE), b""))

    def feed_pieces(self, pieces: Iterable[bytes]) -> bool:
        """Consume consecutive pieces of a table, cut anywhere; see `feed`."""
        changed, carry = False, b""
        for block in pieces:
            joined = carry + block if carry else block
            cut = joined.rfind(b"\n")
            if cut < 0:
                carry = joined  # one very long line: wait for its end
                continue
            changed |= self._feed_piece(joined[: cut + 1])
            carry = joined[cut + 1 :]
        if carry:
            changed |= self._feed_piece(carry)
        return changed

    def _feed_piece(self, piece: bytes) -> bool:
        if self.columns is None:
            piece = self._read_header(piece)
            if self.columns is None or not piece:
                return False
        if not self._y_at:
            self.rows += piece.count(b"\n")
            return False
        if len(piece) >= _FAST_MIN:
            parsed = self._parse_fast(piece)
            if parsed is not None:
                return self._add_arrays(*parsed)
        return self._parse_rows(piece)

    def _read_header(self, piece: bytes) -> bytes:
        position = 0
        while position < len(piece):
            end = piece.find(b"\n", position)
            end = len(piece) if end < 0 else end + 1
            line = piece[position:end].decode("utf-8", errors="replace").strip("\r\n")
            position = end
            if line.strip():
                self._set_columns([c.strip() for c in line.split(self.delimiter.decode())])
                break
        return piece[position:]

    def _set_columns(self, columns: list[str]) -> None:
        self.columns = columns
        if self.x is not None:
            self._x_at = columns.index(self.x) if self.x in columns else None
            if self._x_at is None:
                return  # a declared x that is not there: DVC shows nothing either
        elif "step" in columns:
            self._x_at = columns.index("step")
        x_name = columns[self._x_at] if self._x_at is not None else None
        if self.y:
            wanted = [name for name in self.y if name in columns]
        else:
            candidates = [c for c in columns if c not in _NOT_VALUES and c != x_name]
            wanted = candidates[-1:]
        self._y_at = {name: columns.index(name) for name in wanted}
        self._samplers = {name: Downsampler(self.limit) for name in wanted}

    def _parse_fast(
        self, piece: bytes
    ) -> tuple[npt.NDArray[np.float64], dict[str, npt.NDArray[np.float64]]] | None:
        import numpy as np

        assert self.columns is not None
        width = len(self.columns)
        rows = piece.count(b"\n") + (not piece.endswith(b"\n"))
        if piece.count(self.delimiter) != rows * (width - 1):
            return None
        text = piece if self.delimiter == b"\t" else piece.replace(self.delimiter, b" ")
        try:
            numbers = np.fromstring(text, sep=" ")
        except ValueError:
            return None
        if numbers.size != rows * width:
            return None  # an empty cell or a blank line: let the row parser sort it out
        table = numbers.reshape(rows, width)
        if self._x_at is None:
            steps = np.arange(self.rows, self.rows + rows, dtype=np.float64)
        else:
            steps = table[:, self._x_at]
            if not (np.isfinite(steps).all() and (steps == np.floor(steps)).all()):
                return None
        self.rows += rows
        return steps, {name: table[:, at] for name, at in self._y_at.items()}

    def _add_arrays(
        self, steps: npt.NDArray[np.float64], values: dict[str, npt.NDArray[np.float64]]
    ) -> bool:
        for name, column in values.items():
            self._samplers[name].extend(steps, column)
            self._snapshots.pop(name, None)
        return bool(len(steps))

    def _parse_rows(self, piece: bytes) -> bool:
        assert self.columns is not None
        width = len(self.columns)
        separator = self.delimiter.decode()
        changed = False
        for raw in piece.decode("utf-8", errors="replace").splitlines():
            if not raw.strip():
                continue
            index = self.rows
            self.rows += 1
            cells = raw.split(separator)
            if len(cells) != width:
                continue
            if self._x_at is None:
                step = index
            else:
                try:
                    step = int(cells[self._x_at])
                except ValueError:
                    continue
            for name, at in self._y_at.items():
                try:
                    value = float(cells[at])
                except ValueError:
                    continue
                self._samplers[name].append(step, value)
                self._snapshots.pop(name, None)
                changed = True
        return changed
