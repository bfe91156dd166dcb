"""What the Custom tab plots: one point per experiment of the listing, a column against another
(a metric against a param, as VS Code's custom plots), the highlighted one marked and the
selected ones in their chart colours. Pure: rows in, points out; the values are the table's
(`tui.display.flat_values`), the columns the table's (`TableView.value_columns`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from tui.app.charts import Dots, colour_for
from tui.app.table_state import TableView
from tui.backend.experiments import Experiment
from tui.display import cell, flat_values

POINT = "•"
HIGHLIGHT = "◆"


class Point(NamedTuple):
    """One experiment's place on the chart; `colour` is its chart colour while selected.
    (A tuple: thousands are made for each listing, and compared.)"""

    key: str
    label: str
    x: float
    y: float
    colour: str | None = None


@dataclass(frozen=True)
class Scatter:
    """The points of every experiment with a number on both axes, and what was left out."""

    x: str
    y: str
    points: tuple[Point, ...]
    considered: int
    """Experiments of the listing (the workspace and the remote's rows are not)."""
    missing: tuple[tuple[str, int], ...]
    """(column, experiments without a number in it), for each axis that lacks some."""

    @property
    def left_out(self) -> int:
        """Experiments without a number on one axis or both."""
        return self.considered - len(self.points)

    @functools.cached_property
    def by_key(self) -> dict[str, Point]:
        """The points by row key (the highlighted one is found here)."""
        return {point.key: point for point in self.points}


def number(value: Any) -> float | None:
    """A value as a point's coordinate: ints and finite floats (not booleans, not strings)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def plottable(row: Experiment) -> bool:
    """Whether a row is one of the chart's experiments: baselines and experiments, not the
    workspace (the baseline's twin until it changes) nor the remote's rows (no values)."""
    return row.kind != "workspace" and row.status != "remote"


def scatter_points(
    rows: Iterable[Experiment], x: str, y: str, colours: Mapping[str, int]
) -> Scatter:
    """The points of `rows` with `x` against `y`; `colours`: the selection's colour slots
    (`TableView.colours`)."""
    points: list[Point] = []
    considered = without_x = without_y = 0
    for row in rows:
        if not plottable(row):
            continue
        considered += 1
        values = flat_values(row)
        at_x = number(values.get(x))
        at_y = number(values.get(y))
        if at_x is None:
            without_x += 1
        if at_y is None:
            without_y += 1
        if at_x is not None and at_y is not None:
            key = row.key
            slot = colours.get(key)
            points.append(Point(key, row.label, at_x, at_y,
                                None if slot is None else colour_for(slot)))  # fmt: skip
    # One count per column, also when both axes are the same column.
    counts = {x: without_x} if x == y else {x: without_x, y: without_y}
    missing = tuple((column, count) for column, count in counts.items() if count)
    return Scatter(x, y, tuple(points), considered, missing)


def default_axes(
    rows: list[Experiment], metrics: list[str], varying: list[str], params: list[str]
) -> tuple[str | None, str | None]:
    """(x, y) when none were chosen: the first param that varies against the first metric,
    each the first with a number in some experiment (any param where none varies)."""

    def first(names: list[str]) -> str | None:
        return next((name for name in names if any(
            number(flat_values(row).get(name)) is not None for row in rows if plottable(row)
        )), None)  # fmt: skip

    return first(varying) or first(params), first(metrics)


def chosen_axes(view: TableView, rows: list[Experiment]) -> tuple[str | None, str | None]:
    """The axes the person chose (kept in the view's settings), else the defaults."""
    x, y = view.custom_x, view.custom_y
    if x is None or y is None:
        metrics, params = view.value_columns(rows)
        _, varying = view.value_columns(rows, only_changed=True)
        default_x, default_y = default_axes(rows, metrics, varying, params)
        x, y = x or default_x, y or default_y
    return x, y


def custom_scatter(view: TableView, rows: list[Experiment]) -> Scatter | None:
    """What the Custom tab shows for the table's rows (`rows`, as shown), or None when the
    listing has no numbers to plot yet."""
    x, y = chosen_axes(view, rows)
    if x is None or y is None:
        return None
    return scatter_points(rows, x, y, view.colours)


def dots(scatter: Scatter, mark: Point | None) -> list[Dots]:
    """The points as the chart draws them: the others, then the selected ones in their
    colours, then the highlighted one (`mark`) on top with its own marker."""
    groups: dict[str, list[Point]] = {"default": []}
    for point in scatter.points:
        if point is not mark:
            groups.setdefault(point.colour or "default", []).append(point)
    drawn = [Dots(colour, POINT, tuple(p.x for p in group), tuple(p.y for p in group))
             for colour, group in groups.items() if group]  # fmt: skip
    if mark is not None:
        drawn.append(Dots(mark.colour or "default", HIGHLIGHT, (mark.x,), (mark.y,)))
    return drawn


def headline(scatter: Scatter, highlighted: Experiment | None) -> str:
    """The line above the chart: the axes, and the highlighted experiment's values."""
    line = f"{scatter.y} against {scatter.x}"
    if highlighted is None or not plottable(highlighted):
        return line
    mark = scatter.by_key.get(highlighted.key)
    if mark is None:
        return line + f"   {highlighted.label}: not plotted (a value is not a number)"
    return (
        line + f"   {HIGHLIGHT} {mark.label}: {scatter.x}={cell(mark.x)} {scatter.y}={cell(mark.y)}"
    )


def left_out_line(scatter: Scatter) -> str:
    """The line under the chart: how many experiments are plotted, and which were left out
    for want of a number ("3 experiments without a number for train.optimizer")."""
    line = f"{len(scatter.points)} of {_experiments(scatter.considered)} plotted"
    parts = [f"{_experiments(count)} without a number for {column}"
             for column, count in scatter.missing]  # fmt: skip
    return line + ("; " + "; ".join(parts) if parts else "")


def _experiments(count: int) -> str:
    return f"{count} experiment{'' if count == 1 else 's'}"
