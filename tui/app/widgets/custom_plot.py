"""The Custom tab: a metric against a param, one point per experiment of the listing.

The app hands it a `Scatter` (tui/app/custom_points.py) when the table changes, and the
highlighted row when the cursor moves (a lookup: the points stay); the widget draws in a
thread (plotext, under its lock) and drops a drawing made for an older request. The same
points, mark and size are not drawn again.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import Static
from textual.worker import get_current_worker

from tui.app.charts import scatter_chart
from tui.app.custom_points import Point, Scatter, dots, headline, left_out_line
from tui.app.messages import CustomPlotDrawn
from tui.backend.experiments import Experiment

EMPTY = (
    "No numbers to plot yet: the Custom tab puts a metric against a param, one point per "
    "experiment (X and Y choose the columns)."
)
KEYS = "   X, Y: choose the axes"


class CustomPlot(Vertical):
    """The axes and the highlighted experiment, the chart, and what was left out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scatter: Scatter | None = None
        self.highlighted: Experiment | None = None
        self.generation = 0
        self.drawn = 0
        """Charts drawn so far (tests wait on it)."""
        self.plain = ""
        """The chart without colours (tests and copy)."""
        self._asked: tuple[Scatter | None, Point | None, Size] | None = None
        self._shown_generation = 0
        self._status_shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="custom-status")
        yield Static(Text(EMPTY), id="custom-body")
        yield Static("", id="custom-under")

    def show(self, scatter: Scatter | None, highlighted: Experiment | None) -> None:
        """New points (or none to plot): drawn unless they are those shown."""
        self.scatter = scatter
        self.highlighted = highlighted
        self.redraw()

    def highlight(self, highlighted: Experiment | None) -> None:
        """The cursor moved: mark its experiment (drawn again only if the mark moves)."""
        self.highlighted = highlighted
        self.redraw()

    @property
    def mark(self) -> Point | None:
        """The highlighted experiment's point, where it has one."""
        if self.scatter is None or self.highlighted is None:
            return None
        return self.scatter.by_key.get(self.highlighted.key)

    @property
    def settled(self) -> bool:
        """What is shown was drawn for the points, mark and size the panel has now."""
        asked = (self.scatter, self.mark, self.size)
        return self._asked == asked and self._shown_generation == self.generation

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the points at the size the panel has now, in a worker."""
        scatter, mark = self.scatter, self.mark
        # Lines one row high: a change repaints them without a new layout.
        status = headline(scatter, self.highlighted) + KEYS if scatter else ""
        if status != self._status_shown:
            self._status_shown = status
            self.query_one("#custom-status", Static).update(Text(status, style="dim"),
                                                            layout=False)  # fmt: skip
        asked = (scatter, mark, self.size)
        if asked == self._asked:
            return  # a listing or a cursor move that changed nothing plotted
        self._asked = asked
        self.generation += 1
        under = left_out_line(scatter) if scatter else ""
        self.query_one("#custom-under", Static).update(Text(under, style="dim"), layout=False)
        width = self.size.width or 100
        height = max(self.size.height - 2, 8)
        self.draw(scatter, mark, width, height, self.generation)

    @work(thread=True, exclusive=True, group="custom", exit_on_error=False,
          description="draw the custom plot")  # fmt: skip
    def draw(
        self, scatter: Scatter | None, mark: Point | None, width: int, height: int,
        generation: int,
    ) -> None:  # fmt: skip
        """The chart, drawn with plotext (under its lock; the same points come from memory)."""
        if scatter is None:
            text = EMPTY
        elif not scatter.points:
            text = f"No experiment has a number for both {scatter.x} and {scatter.y}."
        else:
            name = (mark.label, mark.x, mark.y) if mark else None
            text = scatter_chart(scatter.x, scatter.y, dots(scatter, mark), width - 1, height,
                                 name)  # fmt: skip
        if not get_current_worker().is_cancelled:
            self.post_message(CustomPlotDrawn(generation, text))

    def on_custom_plot_drawn(self, message: CustomPlotDrawn) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        body = Text.from_ansi(message.text)
        self.query_one("#custom-body", Static).update(body, layout=False)
        self.plain = body.plain
        self.drawn += 1
        self._shown_generation = message.generation
