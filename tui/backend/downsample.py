"""At most a fixed number of points of a series that only grows, with its shape kept.

A chart a few hundred cells wide cannot show more than a few hundred points per curve, yet a
long run logs millions of steps. Points are grouped into buckets of `width` consecutive points
(by arrival order); each bucket keeps its lowest and its highest point, and the series keeps
its first and last point. When the buckets outnumber what the limit allows, neighbours are
merged pairwise and `width` doubles. So:

- the bound: at most `limit` points are kept and returned, whatever the length (memory is
  O(limit) per series, each appended point costs O(1) amortised);
- exact while short: up to `limit` points, every point is kept;
- the shape: the first and last points, the global minimum and maximum, and every spike
  wider than a bucket are kept; order is the order of logging.

Non-finite values are kept as points but never chosen as a bucket's lowest or highest while
a finite one is there, so a NaN cannot hide the real minimum.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_POINTS = 1000
"""Points kept per series: 500 buckets of a low and a high, as many as the braille dots of a
chart 250 cells wide; few enough to redraw at once."""

Point = tuple[int, int, float]
"""(arrival index, step, value)."""


def _lower(a: Point, b: Point) -> Point:
    # The lower of two points; a non-finite value only wins against another non-finite one.
    if not math.isfinite(b[2]):
        return a
    if not math.isfinite(a[2]):
        return b
    return b if b[2] < a[2] else a


def _higher(a: Point, b: Point) -> Point:
    if not math.isfinite(b[2]):
        return a
    if not math.isfinite(a[2]):
        return b
    return b if b[2] > a[2] else a


class Downsampler:
    """The min/max-bucket summary of a growing series; see the module docstring."""

    def __init__(self, limit: int = MAX_POINTS) -> None:
        self.limit = max(limit, 4)
        self.count = 0
        """Points appended so far."""
        self.width = 1
        """Points per bucket."""
        self._buckets: list[tuple[Point, Point]] = []
        self._first: Point | None = None
        self._last: Point | None = None

    def append(self, step: int, value: float) -> None:
        """Add the next point."""
        point = (self.count, step, value)
        if self._first is None:
            self._first = point
        self._last = point
        if self.count // self.width < len(self._buckets):
            low, high = self._buckets[-1]
            self._buckets[-1] = (_lower(low, point), _higher(high, point))
        else:
            self._buckets.append((point, point))
            while len(self._buckets) > self._room():
                self._widen()
        self.count += 1

    def extend(self, steps: npt.NDArray[np.float64], values: npt.NDArray[np.float64]) -> None:
        """Add many points at once (numpy arrays of equal length), vectorised per bucket."""
        import numpy as np

        total = len(steps)
        if not total:
            return
        if total < 64:
            for step, value in zip(steps.tolist(), values.tolist(), strict=True):
                self.append(int(step), float(value))
            return
        # Widen first, so that the new points never make more buckets than allowed.
        while -(-(self.count + total) // self.width) > self._room():
            self._widen()
        start = self.count
        if self._first is None:
            self._first = (start, int(steps[0]), float(values[0]))
        self._last = (start + total - 1, int(steps[-1]), float(values[-1]))
        finite = np.isfinite(values)
        lows = np.where(finite, values, np.inf)
        highs = np.where(finite, values, -np.inf)
        # The tail of a partly filled last bucket first, then whole buckets.
        taken = 0
        if start % self.width and self._buckets:
            taken = min(total, self.width - start % self.width)
            low, high = self._buckets[-1]
            self._buckets[-1] = (
                _lower(low, self._pick(start, steps, values, lows, 0, taken, np.argmin)),
                _higher(high, self._pick(start, steps, values, highs, 0, taken, np.argmax)),
            )
        rest = total - taken
        if rest > 0:
            whole = rest // self.width * self.width
            bounds = list(range(taken, taken + whole, self.width))
            if whole:
                shape = (whole // self.width, self.width)
                low_at = lows[taken : taken + whole].reshape(shape).argmin(axis=1)
                high_at = highs[taken : taken + whole].reshape(shape).argmax(axis=1)
                for begin, lo, hi in zip(bounds, low_at.tolist(), high_at.tolist(), strict=True):
                    self._buckets.append(
                        (
                            (start + begin + lo, int(steps[begin + lo]), float(values[begin + lo])),
                            (start + begin + hi, int(steps[begin + hi]), float(values[begin + hi])),
                        )
                    )
            if whole < rest:
                begin = taken + whole
                self._buckets.append(
                    (
                        self._pick(start, steps, values, lows, begin, total, np.argmin),
                        self._pick(start, steps, values, highs, begin, total, np.argmax),
                    )
                )
        self.count += total

    def _room(self) -> int:
        # Buckets allowed: one point each while a bucket holds one point, else a low and a
        # high each, beside the first and the last point.
        return self.limit if self.width == 1 else (self.limit - 2) // 2

    @staticmethod
    def _pick(
        start: int,
        steps: npt.NDArray[np.float64],
        values: npt.NDArray[np.float64],
        keys: npt.NDArray[np.float64],
        begin: int,
        end: int,
        choose: object,
    ) -> Point:
        at = begin + int(choose(keys[begin:end]))  # type: ignore[operator]
        return (start + at, int(steps[at]), float(values[at]))

    def _widen(self) -> None:
        self.width *= 2
        merged = []
        for i in range(0, len(self._buckets), 2):
            pair = self._buckets[i : i + 2]
            low, high = pair[0]
            if len(pair) == 2:
                low, high = _lower(low, pair[1][0]), _higher(high, pair[1][1])
            merged.append((low, high))
        self._buckets = merged

    def points(self) -> tuple[list[int], list[float]]:
        """The kept points in logging order: (steps, values), at most `limit` of them."""
        kept: dict[int, Point] = {}
        if self._first is not None and self._last is not None:
            kept[self._first[0]] = self._first
            kept[self._last[0]] = self._last
        for low, high in self._buckets:
            kept[low[0]] = low
            kept[high[0]] = high
        ordered = [kept[i] for i in sorted(kept)]
        return [p[1] for p in ordered], [p[2] for p in ordered]
