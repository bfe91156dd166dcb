"""plotext charts rendered to text, off the event loop, laid out as a grid that fits the panel.

plotext keeps global state (one figure per process): every drawing holds `PLOTEXT_LOCK`, so
that two threads never draw into the same figure.
"""

from __future__ import annotations

import fnmatch
import itertools
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import plotext as plt

from tui.app.chart_view import PLAIN, ChartView, positive, smooth, value_at, within
from tui.backend.live import ConfusionMatrix, Series

PLOTEXT_LOCK = threading.Lock()

# Distinct colours that read on dark and light terminals; an experiment keeps its colour.
PALETTE = ("cyan", "orange", "green", "magenta", "red", "blue", "yellow", "white")


def colour_for(index: int) -> str:
    """The stable colour of the n-th selected experiment."""
    return PALETTE[index % len(PALETTE)]


# The 256-colour code plotext draws each name in (its own table: 'orange' is code 3, and a
# name it does not know, such as 'yellow', is drawn in the terminal's default colour).
_PLOTEXT_CODES = {"black": 0, "red": 1, "green": 2, "orange": 3, "blue": 4, "magenta": 5,
                  "cyan": 6, "gray+": 7, "gray": 8, "white": 15}  # fmt: skip


def rich_colour(name: str) -> str:
    """The Rich style of a plotext colour name: text beside a chart in the curve's colour."""
    code = _PLOTEXT_CODES.get(name)
    return "" if code is None else f"color({code})"


def downsample(
    steps: Sequence[float], values: Sequence[float], buckets: int
) -> tuple[list[float], list[float]]:
    """At most `2 * buckets` points that keep each bucket's extremes (what a column can show)."""
    if len(steps) <= 2 * buckets or buckets <= 0:
        return list(steps), list(values)
    size = len(steps) / buckets
    out_steps: list[float] = []
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


_DRAWN: dict[tuple[object, ...], str] = {}
_DRAWN_KEPT = 256
"""Charts drawn lately, by what they show. A DVCLive step changes one or two curves of a
page; the other charts come from here (plotext takes about 10 ms a chart)."""


def _chart_key(
    title: str, curves: Sequence[tuple[str, str, Series]], width: int, height: int, x_label: str,
    view: ChartView,
) -> tuple[object, ...]:  # fmt: skip
    return (title, width, height, x_label, view, *(
        (label, colour, series.logged, hash(tuple(series.steps)), hash(tuple(series.values)))
        for label, colour, series in curves
    ))  # fmt: skip


def line_chart(
    title: str, curves: Sequence[tuple[str, str, Series]], width: int, height: int,
    x_label: str = "step", view: ChartView = PLAIN,
) -> str:  # fmt: skip
    """One chart of several experiments' curves: (label, colour, series) each; a series'
    `steps` are its x values (a step, or a curve's x such as a false positive rate). `view`:
    the steps shown, log y, smoothing, a cursor line."""
    key = _chart_key(title, curves, width, height, x_label, view)
    return _kept(key, lambda: _line_chart(title, curves, width, height, x_label, view))


def _kept(key: tuple[object, ...], draw: Callable[[], str]) -> str:
    """A chart drawn before with the same key, else `draw()` under the lock, kept."""
    with PLOTEXT_LOCK:
        drawn = _DRAWN.get(key)
        if drawn is None:
            drawn = draw()
            if len(_DRAWN) >= _DRAWN_KEPT:
                _DRAWN.clear()
            _DRAWN[key] = drawn
        return drawn


def _finite(series: Series) -> tuple[list[float], list[float]]:
    points = [(s, v) for s, v in zip(series.steps, series.values, strict=True) if math.isfinite(v)]
    return [s for s, _ in points], [v for _, v in points]


def _line_chart(
    title: str, curves: Sequence[tuple[str, str, Series]], width: int, height: int,
    x_label: str, view: ChartView,
) -> str:  # fmt: skip
    plt.clf()
    # plotext caps a chart at the size of the process's terminal (shutil.get_terminal_size: a
    # tty, $COLUMNS/$LINES, else 80x24); the size asked for is the panel's, whatever that is.
    plt.limitsize(False, False)
    plt.plotsize(max(width, 20), max(height, 6))
    plt.theme("clear")
    plt.xlabel(x_label)
    drawn: list[float] = []
    any_points = False
    left_out = 0
    smoothed_lines = []
    for label, colour, series in curves:
        steps, values = _finite(series)
        if not steps:
            continue
        any_points = True
        raw_steps, raw_values, dropped = _visible(steps, values, view, width)
        left_out += dropped
        if view.smoothing:
            # Smoothed over the whole run, then cut to the range: a range is a zoom, and the
            # smoothing of its first points does not start over.
            smooth_steps, smooth_values, _ = _visible(steps, smooth(values, view.smoothing),
                                                      view, width)  # fmt: skip
            if smooth_steps:
                smoothed_lines.append((label, colour, smooth_steps, smooth_values))
        if not raw_steps:
            continue
        marker = "braille" if len(raw_steps) > 1 else "dot"
        if view.smoothing:
            # The raw line faint, behind (drawn first): plotext's plot() drops its `style`
            # argument (5.3.2), `_draw` is what plot() calls, with it.
            plt.active()._draw(raw_steps, raw_values, lines=True, marker=marker,
                               color=colour, style="dim")  # fmt: skip
        else:
            plt.plot(raw_steps, raw_values, label=label, color=colour, marker=marker)
        drawn.extend((raw_steps[0], raw_steps[-1]))
    for label, colour, steps, values in smoothed_lines:
        plt.plot(steps, values, label=label, color=colour,
                 marker="braille" if len(steps) > 1 else "dot")  # fmt: skip
    if not any_points:
        return f"{title}: no points yet"
    if not drawn:
        where = f" in {x_label} {view.steps}" if view.steps else ""
        return f"{title}: no points{where}" + (" above 0 (log y)" if view.log_y else "")
    if view.log_y:
        plt.yscale("log")
    plt.title(_title(title, view, left_out))
    if min(drawn) == max(drawn):
        # One point: an axis around its step, not plotext's -1..1.
        plt.xlim(max(min(drawn) - 1, 0), min(drawn) + 1)
    if view.cursor is not None:
        plt.vline(view.cursor)
    # plotext ends the chart with a newline: a blank line under every row of a page.
    return str(plt.build()).rstrip("\n")


def _visible(
    steps: list[float], values: list[float], view: ChartView, width: int
) -> tuple[list[float], list[float], int]:
    """A line's points in the view's range, those a log scale can draw, at most what the
    columns show; and how many a log scale left out."""
    steps, values = within(steps, values, view.steps)
    dropped = 0
    if view.log_y:
        steps, values, dropped = positive(steps, values)
    steps, values = downsample(steps, values, width)
    return steps, values, dropped


def _title(title: str, view: ChartView, left_out: int) -> str:
    marked = f"▸ {title}" if view.cursor is not None else title
    if left_out:
        points = "point" if left_out == 1 else "points"
        marked += f" (log y: {left_out} {points} ≤ 0 left out)"
    return marked


def readings(
    curves: Sequence[tuple[str, str, Series]], x: float, smoothing: float = 0.0
) -> list[tuple[str, str, float | None, float | None]]:
    """What each curve logged at step `x`: (label, colour, value, smoothed value); None
    where it logged nothing there (smoothed: None without smoothing)."""
    found = []
    for label, colour, series in curves:
        steps, values = _finite(series)
        smoothed = None
        if smoothing:
            smoothed = value_at(steps, smooth(values, smoothing), x)
        found.append((label, colour, value_at(series.steps, series.values, x), smoothed))
    return found


@dataclass(frozen=True)
class Chart:
    """One chart of the grid: a metric, the curves of the charted experiments."""

    title: str
    curves: tuple[tuple[str, str, Series], ...]
    x_label: str = "step"


@dataclass(frozen=True)
class Grid:
    """How charts fill a panel: columns, rows per page, and each chart's size."""

    columns: int
    rows: int
    width: int
    height: int

    @property
    def per_page(self) -> int:
        """Charts on one page."""
        return self.columns * self.rows


MIN_CHART_WIDTH = 40
MIN_CHART_HEIGHT = 10


def grid_for(count: int, width: int, height: int) -> Grid:
    """The grid for `count` charts in a panel of `width` x `height` cells: as many as fit at a
    readable size, the rest on further pages; fewer charts get more room each (no empty
    slots where a narrower grid holds them all)."""
    most_columns = max(1, width // MIN_CHART_WIDTH)
    most_rows = max(1, height // MIN_CHART_HEIGHT)
    rows = max(1, min(most_rows, math.ceil(count / most_columns)))
    columns = max(1, min(most_columns, math.ceil(count / rows)))
    return Grid(columns, rows, max(width // columns - 1, 20), max(height // rows, 6))


def chart_matches(title: str, pattern: str) -> bool:
    """The metric filter: a glob (`*loss*`, `eval/*`) or, without glob characters, a
    substring, both case-insensitive."""
    if not pattern:
        return True
    title, pattern = title.lower(), pattern.lower()
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(title, pattern)
    return pattern in title


def render_page(
    charts: Sequence[Chart], grid: Grid, view: ChartView = PLAIN,
    cursor: tuple[int, float] | None = None,
) -> str:  # fmt: skip
    """One page of charts side by side (plain text with ANSI colours), under the lock.
    `cursor`: the chart of the page with the cursor, and its step."""
    views = [view] * len(charts)
    if cursor is not None and 0 <= cursor[0] < len(charts):
        views[cursor[0]] = replace(view, cursor=cursor[1])
    lines_out: list[str] = []
    for start in range(0, len(charts), grid.columns):
        drawn = [
            line_chart(c.title, c.curves, grid.width, grid.height, c.x_label, v).split("\n")
            for c, v in zip(charts[start : start + grid.columns],
                            views[start : start + grid.columns], strict=True)
        ]  # fmt: skip
        for index in range(max(len(lines) for lines in drawn)):
            pieces = []
            for lines in drawn:
                piece = lines[index] if index < len(lines) else ""
                pieces.append(piece + " " * max(0, grid.width - _visible_len(piece) + 1))
            lines_out.append("".join(pieces).rstrip())
    return "\n".join(lines_out)


def _visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def area_under(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The area under a curve by the trapezoid rule, over its points sorted by x (the AUC of a
    ROC curve; for a precision-recall curve, close to its average precision)."""
    points = sorted((x, y) for x, y in zip(xs, ys, strict=True)
                    if math.isfinite(x) and math.isfinite(y))  # fmt: skip
    if len(points) < 2:
        return None
    return sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in itertools.pairwise(points))


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


@dataclass(frozen=True)
class Dots:
    """Points of a scatter chart drawn alike: one colour ("default": the terminal's text
    colour), one marker."""

    colour: str
    marker: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


def scatter_chart(
    x_label: str, y_label: str, dots: Sequence[Dots], width: int, height: int,
    name: tuple[str, float, float] | None = None,
) -> str:  # fmt: skip
    """Groups of points on one pair of axes, the last drawn on top; `name` (text, x, y) is
    written beside its point. An axis whose values are positive and span two decades or more
    (learning rates) is logarithmic. Drawn again only when the points change."""
    key = ("scatter", x_label, y_label, width, height, tuple(dots), name)
    return _kept(key, lambda: _scatter_chart(x_label, y_label, dots, width, height, name))


def _logarithmic(values: Sequence[float]) -> bool:
    return min(values) > 0 and max(values) / min(values) >= 100


def _padded(values: Sequence[float], log: bool) -> tuple[float, float]:
    """The axis' range with a margin, so that no point sits on the frame; in log10 units on
    a logarithmic axis (what plotext's limits take there)."""
    low, high = min(values), max(values)
    if log:
        low, high = math.log10(low), math.log10(high)
    margin = (high - low) * 0.05 if high > low else abs(low) * 0.1 or 1.0
    return low - margin, high + margin


def _scatter_chart(
    x_label: str, y_label: str, dots: Sequence[Dots], width: int, height: int,
    name: tuple[str, float, float] | None,
) -> str:  # fmt: skip
    xs = [x for group in dots for x in group.xs]
    ys = [y for group in dots for y in group.ys]
    if not xs:
        return "no points"
    x_log, y_log = _logarithmic(xs), _logarithmic(ys)
    plt.clf()
    plt.limitsize(False, False)  # the panel's size, not the process's terminal (line_chart)
    plt.plotsize(max(width, 20), max(height, 6))
    plt.theme("clear")
    plt.xlabel(x_label + (" (log)" if x_log else ""))
    plt.ylabel(y_label + (" (log)" if y_log else ""))
    if x_log:
        plt.xscale("log")
    if y_log:
        plt.yscale("log")
    x_range, y_range = _padded(xs, x_log), _padded(ys, y_log)
    plt.xlim(*x_range)
    plt.ylim(*y_range)
    for group in dots:
        if group.xs:
            plt.scatter(list(group.xs), list(group.ys), marker=group.marker, color=group.colour)
    if name is not None:
        text, x, y = name
        plt.text(*_beside(text, x, x_range, x_log, width), y, alignment="left")
    return str(plt.build()).rstrip("\n")


def _beside(text: str, x: float, x_range: tuple[float, float], log: bool,
            width: int) -> tuple[str, float]:  # fmt: skip
    """Where a name starts so that it reads beside its point: two columns to the right, or
    ending two columns to its left where it would run past the frame (`x_range` as
    `_padded` gives it)."""
    low, high = x_range
    column = (high - low) / max(width - 10, 10)  # less the y axis' ticks and the frame
    at = math.log10(x) if log else x
    start = at + 2 * column
    if start + len(text) * column > high:
        start = max(at - (len(text) + 2) * column, low)
    return text, 10**start if log else start
