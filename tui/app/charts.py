"""plotext charts rendered to text, off the event loop. plotext keeps global state: callers
render from one worker group at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotext as plt

from tui.backend.live import ConfusionMatrix, Series

# Distinct colours that read on dark and light terminals; an experiment keeps its colour.
PALETTE = ("cyan", "orange", "green", "magenta", "red", "blue", "yellow", "white")


def colour_for(index: int) -> str:
    """The stable colour of the n-th selected experiment."""
    return PALETTE[index % len(PALETTE)]


def downsample(
    steps: Sequence[int], values: Sequence[float], buckets: int
) -> tuple[list[int], list[float]]:
    """At most `2 * buckets` points that keep each bucket's extremes (what a column can show)."""
    if len(steps) <= 2 * buckets or buckets <= 0:
        return list(steps), list(values)
    size = len(steps) / buckets
    out_steps: list[int] = []
    out_values: list[float] = []
    for bucket in range(buckets):
        start, end = int(bucket * size), int((bucket + 1) * size)
        chunk = range(start, max(end, start + 1))
        low = min(chunk, key=lambda i: values[i])
        high = max(chunk, key=lambda i: values[i])
        for i in sorted({low, high}):
            out_steps.append(steps[i])
            out_values.append(values[i])
    return out_steps, out_values


def line_chart(
    title: str, curves: Sequence[tuple[str, str, Series]], width: int, height: int
) -> str:
    """One chart of several experiments' curves: (label, colour, series) each."""
    plt.clf()
    plt.plotsize(max(width, 20), max(height, 6))
    plt.theme("clear")
    plt.title(title)
    plt.xlabel("step")
    drawn = False
    for label, colour, series in curves:
        if not series.steps:
            continue
        finite = [
            (s, v) for s, v in zip(series.steps, series.values, strict=True) if math.isfinite(v)
        ]
        if not finite:
            continue
        steps, values = downsample([s for s, _ in finite], [v for _, v in finite], width)
        marker = "braille" if len(steps) > 1 else "dot"
        plt.plot(steps, values, label=label, color=colour, marker=marker)
        drawn = True
    if not drawn:
        return f"{title}: no points yet"
    return str(plt.build())


def share(count: int, total: int) -> str:
    """A percentage, or a dash for an empty row."""
    return f"{100 * count / total:5.1f}%" if total else "    -"


def matrix_rows(matrix: ConfusionMatrix) -> list[list[tuple[int, float]]]:
    """Counts and row-normalised shares, actual class by predicted class."""
    rows = []
    for actual in matrix.classes:
        total = sum(matrix.count(actual, p) for p in matrix.classes)
        rows.append(
            [
                (matrix.count(actual, p), matrix.count(actual, p) / total if total else 0.0)
                for p in matrix.classes
            ]
        )
    return rows
