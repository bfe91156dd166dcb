"""The Plots tab: a grid of line charts that fits the panel, in pages, with a metric filter.

The widget owns the page, the filter and the drawing worker; drawing (plotext, under its lock)
happens in a thread, and a page drawn for an older request is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Static
from textual.worker import get_current_worker

from tui.app.charts import Chart, area_under, chart_matches, colour_for, grid_for, render_page
from tui.app.messages import ChartsRendered
from tui.backend.experiments import Experiment
from tui.backend.history import LiveData
from tui.backend.layout import group_charts, is_system
from tui.backend.live import Series

EMPTY = "Select experiments with space to chart them; the highlighted one shows meanwhile."
EMPTY_CURVES = (
    "No curves logged for the charted experiments: ROC, precision-recall and other dvc.yaml "
    "plots with a linear, scatter or smooth template show here."
)
EMPTY_SYSTEM = (
    "No system metrics logged for the charted experiments. DVCLive's system monitor writes "
    "them (Live(monitor_system=True); in this project train.monitor_system: true)."
)


def charts_for(
    experiments: Sequence[Experiment],
    data: Mapping[str, LiveData],
    colours: Mapping[str, int],
    *,
    system: bool = False,
) -> list[Chart]:
    """The charts of every metric any charted experiment has (`layout.group_charts`: one
    group per metric, validation above training), each with the experiments' curves in their
    colours; a metric that exists without points yet gets an empty chart (a placeholder).
    `system`: DVCLive's system metrics (CPU, RAM, disk, GPU) alone, else every other metric."""
    found = [data.get(e.key, LiveData()) for e in experiments]
    names = {name for live in found for name in live.series if is_system(name) == system}
    empty = {name for live in found for name in live.empty if is_system(name) == system}
    charts = []
    for group in group_charts(names, empty):
        for chart in group.charts:
            curves: list[tuple[str, str, Series]] = []
            for index, (experiment, live) in enumerate(zip(experiments, found, strict=True)):
                series = live.series.get(chart.series)
                if series is not None:
                    colour = colour_for(colours.get(experiment.key, index))
                    curves.append((experiment.label, colour, series))
            charts.append(Chart(chart.series, tuple(curves)))
    return charts


def curve_charts_for(
    experiments: Sequence[Experiment],
    data: Mapping[str, LiveData],
    colours: Mapping[str, int],
) -> list[Chart]:
    """One chart per curve (ROC, precision-recall...) that any charted experiment logged,
    each experiment's curve in its colour with the area under it in the legend."""
    found = [data.get(e.key, LiveData()) for e in experiments]
    charts = []
    for name in sorted({name for live in found for name in live.curves}):
        lines: list[tuple[str, str, Series]] = []
        first = None
        for index, (experiment, live) in enumerate(zip(experiments, found, strict=True)):
            curve = live.curves.get(name)
            if curve is None:
                continue
            first = first or curve
            area = area_under(curve.xs, curve.ys)
            label = experiment.label + (f" (area {area:.3f})" if area is not None else "")
            colour = colour_for(colours.get(experiment.key, index))
            # A curve's x values go where a series has its steps (the chart takes floats).
            points = Series(name, list(curve.xs), list(curve.ys), len(curve.xs))  # type: ignore[arg-type]
            lines.append((label, colour, points))
        if first is not None:
            charts.append(Chart(f"{first.title}: {first.y}", tuple(lines), first.x))
    return charts


class ChartGrid(Vertical):
    """A status line (page, filter) above the charts."""

    def __init__(self, *, system: bool = False, curves: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.system = system
        """Whether this grid shows DVCLive's system metrics (the System tab)."""
        self.empty_text = EMPTY_SYSTEM if system else EMPTY_CURVES if curves else EMPTY
        self.page = 0
        self.pattern = ""
        self.charts: list[Chart] = []
        self.generation = 0
        self.drawn = 0
        """Pages drawn so far (tests wait on it)."""
        self.plain = ""
        """What the charts say, without colours (tests and copy)."""
        self._status_shown: str | None = None
        self._drawn_at: Size | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-status")
        yield Static(self.empty_text, id="chart-body")

    def show(self, charts: list[Chart]) -> None:
        """New data: draw the current page again."""
        self.charts = charts
        self.redraw()

    def set_pattern(self, pattern: str) -> None:
        """Show only the metrics that match (a glob, or a substring)."""
        self.pattern = pattern
        self.page = 0
        self.redraw()

    def turn(self, pages: int) -> None:
        """Next (1) or previous (-1) page; stays within the pages there are."""
        self.page += pages
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        # The panel grows or shrinks with the terminal and with the table above it (rows
        # arriving): charts drawn at the old size would be cut or leave space.
        if event.size != self._drawn_at:
            self.redraw()

    def redraw(self) -> None:
        """Draw the current page in a worker, at the size the panel has now."""
        self.generation += 1
        size = self.size
        self._drawn_at = size
        width = size.width or 100
        height = max(size.height - 1, 8)
        self.render_charts(list(self.charts), self.pattern, self.page, width, height,
                           self.generation)  # fmt: skip

    @work(thread=True, exclusive=True, group="charts", exit_on_error=False,
          description="draw charts")  # fmt: skip
    def render_charts(
        self, charts: list[Chart], pattern: str, page: int, width: int, height: int,
        generation: int,
    ) -> None:  # fmt: skip
        """One page of the charts that match, drawn with plotext (under its lock)."""
        shown = [c for c in charts if chart_matches(c.title, pattern)]
        if not charts:
            text, status = self.empty_text, ""
        elif not shown:
            text, status = f"No metric matches {pattern!r} (m changes the filter).", ""
        else:
            grid = grid_for(len(shown), width, height)
            pages = math.ceil(len(shown) / grid.per_page)
            page = min(max(page, 0), pages - 1)
            first = page * grid.per_page
            text = render_page(shown[first : first + grid.per_page], grid)
            status = f"{len(shown)} charts" + (f"  page {page + 1}/{pages}  [ ] or pgup/pgdn"
                                              if pages > 1 else "")  # fmt: skip
            if pattern:
                status += f"  filter {pattern!r} (m to change)"
        if not get_current_worker().is_cancelled:
            self.post_message(ChartsRendered(generation, text, status, max(page, 0)))

    def on_charts_rendered(self, message: ChartsRendered) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        body = Text.from_ansi(message.text)
        # Both have fixed heights (1fr, 1): a new chart needs a repaint, not a new layout.
        self.query_one("#chart-body", Static).update(body, layout=False)
        if message.status != self._status_shown:
            self._status_shown = message.status
            self.query_one("#chart-status", Static).update(
                Text(message.status, style="dim"), layout=False
            )
        self.plain = body.plain
        self.page = message.page
        self.drawn += 1
