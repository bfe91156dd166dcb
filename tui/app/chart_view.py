"""How a chart grid looks at its data: a step range, a log y axis, smoothing and a cursor.

Pure functions over steps and values, drawn from by `charts.line_chart` and the chart grid;
a `ChartView` is part of a drawn chart's memo key, so a cached drawing is never one of another
view.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SMOOTHING_STEP = 0.1
SMOOTHING_MOST = 0.99
"""TensorBoard's slider stops below 1: a weight of 1 would hold the first value forever."""

RANGE_HELP = "a range like 10:50, :20 or 30: (empty shows all)"


@dataclass(frozen=True)
class StepRange:
    """The x values a chart shows, both ends included; None: open on that side."""

    start: float | None = None
    end: float | None = None

    def __bool__(self) -> bool:
        return self.start is not None or self.end is not None

    def __str__(self) -> str:
        return f"{_number(self.start)}:{_number(self.end)}" if self else ""

    def __contains__(self, x: float) -> bool:
        return (self.start is None or x >= self.start) and (self.end is None or x <= self.end)


def _number(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def parse_range(text: str) -> StepRange:
    """`10:50`, `:20`, `30:` (floats too, for a curve's x); empty: every step. A ValueError
    says what was wrong, in one line."""
    text = text.strip()
    if not text:
        return StepRange()
    if text.count(":") != 1:
        raise ValueError(f"{RANGE_HELP}, not {text!r}")
    ends: list[float | None] = []
    for part in (p.strip() for p in text.split(":")):
        if not part:
            ends.append(None)
            continue
        try:
            number = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number: {RANGE_HELP}") from None
        if not math.isfinite(number):
            raise ValueError(f"{part!r} is not a finite number: {RANGE_HELP}")
        ends.append(int(number) if number.is_integer() else number)
    start, end = ends
    if start is not None and end is not None and start > end:
        raise ValueError(f"the start is after the end: {_number(end)}:{_number(start)}")
    return StepRange(start, end)


def range_problem(text: str) -> str | None:
    """What is wrong with a typed range (for the prompt), or None."""
    try:
        parse_range(text)
    except ValueError as error:
        return str(error)
    return None


@dataclass(frozen=True)
class ChartView:
    """What a chart shows of its curves (the chart grid's view state)."""

    steps: StepRange = StepRange()
    log_y: bool = False
    smoothing: float = 0.0
    """TensorBoard's debiased exponential moving average, 0 (none) to 0.99."""
    cursor: float | None = None
    """The x of the cursor's vertical line, on the one chart that has it."""


PLAIN = ChartView()
"""Every step, linear, unsmoothed, no cursor."""


def next_weight(weight: float, direction: int) -> float:
    """The smoothing weight one step up (1) or down (-1): 0, 0.1, ... 0.9, then 0.99."""
    if direction > 0:
        return SMOOTHING_MOST if weight >= 0.9 - 1e-9 else round(weight + SMOOTHING_STEP, 1)
    if weight > 0.9 + 1e-9:
        return 0.9
    return max(0.0, round(weight - SMOOTHING_STEP, 1))


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's smoothing: an exponential moving average debiased for its zero start
    (so the first point is itself, not pulled to 0). A constant series stays exactly
    constant and a value that is not finite stays as it is, as in TensorBoard."""
    if weight <= 0 or not values or all(v == values[0] for v in values):
        return list(values)
    last, count, out = 0.0, 0, []
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return out


def within(
    steps: Sequence[float], values: Sequence[float], step_range: StepRange
) -> tuple[list[float], list[float]]:
    """The points whose step is in the range."""
    kept = [(s, v) for s, v in zip(steps, values, strict=True) if s in step_range]
    return [s for s, _ in kept], [v for _, v in kept]


def positive(
    steps: Sequence[float], values: Sequence[float]
) -> tuple[list[float], list[float], int]:
    """The points a log scale can draw (value above 0), and how many were left out."""
    kept = [(s, v) for s, v in zip(steps, values, strict=True) if v > 0]
    return [s for s, _ in kept], [v for _, v in kept], len(steps) - len(kept)


def value_at(steps: Sequence[float], values: Sequence[float], x: float) -> float | None:
    """The value logged at step `x` (the last one, where a resumed run logged it twice)."""
    found = None
    for step, value in zip(steps, values, strict=True):
        if step == x:
            found = value
    return found


def positions(curves: Iterable[tuple[Sequence[float], Sequence[float]]],
              step_range: StepRange) -> list[float]:  # fmt: skip
    """Where a cursor can stand: every step with a finite value in the range, in order."""
    return sorted({s for steps, values in curves
                   for s, v in zip(steps, values, strict=True)
                   if math.isfinite(v) and s in step_range})  # fmt: skip


def snap(places: Sequence[float], x: float | None) -> float | None:
    """The place nearest `x` (the last place when there is no `x` yet); None when empty."""
    if not places:
        return None
    if x is None:
        return places[-1]
    index = bisect.bisect_left(places, x)
    near = places[max(index - 1, 0) : index + 1]
    return min(near, key=lambda p: (abs(p - x), p))


def moved(places: Sequence[float], x: float | None, by: int) -> float | None:
    """The place `by` places from `x` (which snaps first), kept within the places."""
    here = snap(places, x)
    if here is None:
        return None
    index = bisect.bisect_left(places, here) + by
    return places[min(max(index, 0), len(places) - 1)]


def shown_step(x: float) -> str:
    """A step (or a curve's x) as typed: a whole number as one."""
    return _number(x)


def shown_value(value: float) -> str:
    """A value to full precision: the shortest text that reads back as the same float."""
    return repr(float(value))
