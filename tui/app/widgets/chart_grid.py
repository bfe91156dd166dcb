"""The Plots tab: a grid of line charts that fits the panel, in pages, with a metric filter,
a step range, a log y axis, smoothing and a cursor that reads exact values.

The widget owns the page, the filter, the view (range, log, smoothing, cursor) and the drawing
worker; drawing (plotext, under its lock) happens in a thread, and a page drawn for an older
request is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Static
from textual.worker import get_current_worker

from tui.app.chart_view import (
    ChartView,
    StepRange,
    moved,
    next_weight,
    positions,
    shown_step,
    shown_value,
    snap,
)
from tui.app.charts import (
    Chart,
    area_under,
    chart_matches,
    colour_for,
    grid_for,
    readings,
    render_page,
    rich_colour,
)
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
    """A status line (page, filter, view) above the charts, and the cursor's readings below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor_step(-1)", "Step back", show=False,
                tooltip="chart cursor on: the previous step"),
        Binding("right", "cursor_step(1)", "Step on", show=False,
                tooltip="chart cursor on: the next step"),
        Binding("shift+left", "cursor_step(-10)", "10 steps back", show=False,
                tooltip="chart cursor on: 10 steps back"),
        Binding("shift+right", "cursor_step(10)", "10 steps on", show=False,
                tooltip="chart cursor on: 10 steps on"),
        Binding("home", "cursor_step(-1_000_000_000)", "First step", show=False,
                tooltip="chart cursor on: the first step"),
        Binding("end", "cursor_step(1_000_000_000)", "Last step", show=False,
                tooltip="chart cursor on: the last step"),
        Binding("tab", "cursor_chart(1)", "Next chart", show=False,
                tooltip="chart cursor on: the cursor to the next chart (pages follow)"),
        Binding("shift+tab", "cursor_chart(-1)", "Previous chart", show=False,
                tooltip="chart cursor on: the cursor to the previous chart"),
        Binding("escape", "app.chart_cursor", "Cursor off", show=False,
                tooltip="chart cursor on: put it away (the table has the keys again)"),
    ]  # fmt: skip

    def __init__(self, *, system: bool = False, curves: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.system = system
        """Whether this grid shows DVCLive's system metrics (the System tab)."""
        self.curves = curves
        """Whether this grid shows curves (ROC...), whose x is not a step: no smoothing."""
        self.empty_text = EMPTY_SYSTEM if system else EMPTY_CURVES if curves else EMPTY
        self.page = 0
        self.pattern = ""
        self.view = ChartView()
        """The range, log y and smoothing of every chart here (the cursor is apart)."""
        self.cursor_on = False
        self.cursor_chart: int | None = None
        """The chart with the cursor, of those the filter shows; None: the page's first."""
        self.cursor_x: float | None = None
        """The cursor's step; None: the chart's last."""
        self.charts: list[Chart] = []
        self.generation = 0
        self.drawn = 0
        """Pages drawn so far (tests wait on it)."""
        self.plain = ""
        """What the charts say, without colours (tests and copy)."""
        self.readout = ""
        """What the cursor's line says, without colours (tests and copy)."""
        self._status_shown: str | None = None
        self._drawn_at: Size | None = None

    @property
    def x_name(self) -> str:
        """What a range is of: steps, or a curve's x."""
        return "x" if self.curves else "steps"

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-status")
        yield Static(self.empty_text, id="chart-body")
        yield Static("", id="chart-cursor")

    def on_mount(self) -> None:
        self.query_one("#chart-cursor", Static).display = False

    def show(self, charts: list[Chart]) -> None:
        """New data: draw the current page again."""
        self.charts = charts
        self.redraw()

    def set_pattern(self, pattern: str) -> None:
        """Show only the metrics that match (a glob, or a substring)."""
        self.pattern = pattern
        self.page = 0
        self.cursor_chart = None
        self.redraw()

    def turn(self, pages: int) -> None:
        """Next (1) or previous (-1) page; stays within the pages there are."""
        self.page += pages
        self.cursor_chart = None
        self.redraw()

    def set_range(self, steps: StepRange) -> None:
        """Show only the steps in `steps` (an empty range: all)."""
        self.view = replace(self.view, steps=steps)
        self.redraw()

    def toggle_log(self) -> None:
        """A log y axis, or a linear one."""
        self.view = replace(self.view, log_y=not self.view.log_y)
        self.redraw()

    def smoothing(self, direction: int) -> None:
        """Smoothing one step up (1) or down (-1)."""
        if self.curves:
            self.notify("Smoothing is for per-step metrics: curves are drawn as logged.",
                        severity="warning", markup=False)  # fmt: skip
            return
        self.view = replace(self.view, smoothing=next_weight(self.view.smoothing, direction))
        self.redraw()

    def toggle_cursor(self) -> None:
        """The cursor on the page's first chart at its last step, or away."""
        self.cursor_on = not self.cursor_on
        self.cursor_chart = self.cursor_x = None
        # Focusable only with a cursor: tab from the table never lands here otherwise.
        self.can_focus = self.cursor_on
        self.redraw()

    def _shown(self) -> list[Chart]:
        return [c for c in self.charts if chart_matches(c.title, self.pattern)]

    def action_cursor_step(self, by: int) -> None:
        shown = self._shown()
        if not self.cursor_on or self.cursor_chart is None or self.cursor_chart >= len(shown):
            return
        curves = shown[self.cursor_chart].curves
        places = positions(((s.steps, s.values) for _, _, s in curves), self.view.steps)
        self.cursor_x = moved(places, self.cursor_x, by)
        self.redraw()

    def action_cursor_chart(self, by: int) -> None:
        count = len(self._shown())
        if not self.cursor_on or not count:
            return
        self.cursor_chart = ((self.cursor_chart or 0) + by) % count
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
        cursor = (self.cursor_chart, self.cursor_x) if self.cursor_on else None
        self.render_charts(list(self.charts), self.pattern, self.page, width, height,
                           self.generation, self.view, cursor)  # fmt: skip

    @work(thread=True, exclusive=True, group="charts", exit_on_error=False,
          description="draw charts")  # fmt: skip
    def render_charts(
        self, charts: list[Chart], pattern: str, page: int, width: int, height: int,
        generation: int, view: ChartView, cursor: tuple[int | None, float | None] | None,
    ) -> None:  # fmt: skip
        """One page of the charts that match, drawn with plotext (under its lock); with a
        cursor, its chart and step resolved, and the line of what each curve logged there."""
        shown = [c for c in charts if chart_matches(c.title, pattern)]
        readout = Text()
        cursor_chart = cursor_x = None
        if not charts:
            text, status = self.empty_text, ""
        elif not shown:
            text, status = f"No metric matches {pattern!r} (m changes the filter).", ""
        else:
            grid = grid_for(len(shown), width, height - (1 if cursor else 0))
            pages = math.ceil(len(shown) / grid.per_page)
            page = min(max(page, 0), pages - 1)
            if cursor is not None:
                cursor_chart = cursor[0]
                if cursor_chart is None or cursor_chart >= len(shown):
                    cursor_chart = page * grid.per_page
                chart = shown[cursor_chart]
                places = positions(((s.steps, s.values) for _, _, s in chart.curves), view.steps)
                cursor_x = snap(places, cursor[1])
                readout = self._readout(chart, cursor_x, view, width)
                # The readings take what lines they need; the charts the rest.
                grid = grid_for(len(shown), width, height - readout.plain.count("\n") - 1)
                pages = math.ceil(len(shown) / grid.per_page)
                page = cursor_chart // grid.per_page
            first = page * grid.per_page
            at = None
            if cursor_chart is not None and cursor_x is not None:
                at = (cursor_chart - first, cursor_x)
            text = render_page(shown[first : first + grid.per_page], grid, view, at)
            status = self._status(len(shown), page, pages, pattern, view, cursor is not None)
        if not get_current_worker().is_cancelled:
            self.post_message(ChartsRendered(generation, text, status, max(page, 0), readout,
                                             cursor_chart, cursor_x))  # fmt: skip

    def _status(
        self, count: int, page: int, pages: int, pattern: str, view: ChartView, cursor: bool
    ) -> str:
        status = f"{count} charts" + (f"  page {page + 1}/{pages}  [ ] or pgup/pgdn"
                                      if pages > 1 else "")  # fmt: skip
        if pattern:
            status += f"  filter {pattern!r} (m to change)"
        if view.steps:
            status += f"  {self.x_name} {view.steps} (z)"
        if view.log_y:
            status += "  log y (y)"
        if view.smoothing:
            status += f"  smoothing {view.smoothing:g} (- +)"
        if cursor:
            status += "  cursor: ← → steps, tab charts, esc off"
        return status

    def _readout(self, chart: Chart, x: float | None, view: ChartView, width: int) -> Text:
        """`▸ title  step 12:` then each curve's value there, in its colour, to full precision;
        packed into lines that fit `width`."""
        what = "x" if self.curves else "step"
        if x is None:
            where = f" in {self.x_name} {view.steps}" if view.steps else ""
            return Text(f"▸ {chart.title}: no points to read{where}", no_wrap=True,
                        overflow="ellipsis")  # fmt: skip
        pieces = [Text(f"▸ {chart.title}  {what} {shown_step(x)}:")]
        for label, colour, value, smoothed in readings(chart.curves, x, view.smoothing):
            piece = Text.assemble(("● " + label, rich_colour(colour)), " ")
            if value is None:
                piece.append("nothing logged here", style="dim")
            else:
                piece.append(shown_value(value))
                if smoothed is not None:
                    piece.append(f" (smoothed {shown_value(smoothed)})", style="dim")
            pieces.append(piece)
        lines: list[Text] = []
        for piece in pieces:
            piece.truncate(max(width - 1, 10), overflow="ellipsis")
            if lines and lines[-1].cell_len + 2 + piece.cell_len <= width - 1:
                lines[-1].append("  ")
                lines[-1].append_text(piece)
            else:
                lines.append(piece)
        return Text("\n").join(lines)

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
        # The readings' height is what the worker packed them into: a new layout only when
        # that changes (the cursor shown or put away, more curves), else a repaint.
        readout = self.query_one("#chart-cursor", Static)
        lines = message.readout.plain.count("\n") + 1 if message.readout else 0
        relayout = lines != (self.readout.count("\n") + 1 if self.readout else 0)
        if relayout:
            readout.display = bool(lines)
            readout.styles.height = max(lines, 1)
        readout.update(message.readout, layout=relayout)
        self.readout = message.readout.plain
        self.plain = body.plain
        self.page = message.page
        if self.cursor_on:
            self.cursor_chart, self.cursor_x = message.cursor_chart, message.cursor_x
        self.drawn += 1
