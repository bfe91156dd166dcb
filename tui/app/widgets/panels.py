"""The lower half's panels: charts, confusion matrices, the diff of two experiments."""

from __future__ import annotations

import math

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.app.charts import matrix_rows
from tui.backend.experiments import Experiment
from tui.backend.live import ConfusionMatrix
from tui.display import flat_values

EMPTY_PLOTS = "Select experiments with space to chart them; the highlighted one shows meanwhile."


class Panel(Static):
    """A Static that remembers what it shows, as plain text too (for tests and copy)."""

    shown: RenderableType = ""

    def show_renderable(self, renderable: RenderableType) -> None:
        """Display and remember."""
        self.shown = renderable
        self.update(renderable)

    @property
    def plain(self) -> str:
        """What is shown, without styles."""
        console = Console(width=max(self.size.width, 120), color_system=None)
        with console.capture() as capture:
            console.print(self.shown)
        return capture.get()


class PlotsPanel(Panel):
    """Charts rendered by a worker; this only shows the text."""

    def on_mount(self) -> None:
        self.show_renderable(EMPTY_PLOTS)


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}%"


def confusion_table(label: str, matrix: ConfusionMatrix) -> Table:
    """Counts and row shares, coloured by share, with precision, recall and accuracy."""
    table = Table(title=f"{label}  accuracy {_percent(matrix.accuracy)}", title_justify="left")
    table.add_column("actual \\ predicted", style="bold")
    for cls in matrix.classes:
        table.add_column(cls, justify="right")
    table.add_column("recall", justify="right", style="italic")
    for cls, cells in zip(matrix.classes, matrix_rows(matrix), strict=True):
        rendered = []
        for column, (count, fraction) in zip(matrix.classes, cells, strict=True):
            hue = "green" if column == cls else "red"
            strength = "bold " if fraction >= 0.5 else ""
            style = f"{strength}{hue}" if count else "dim"
            rendered.append(Text(f"{count}  {100 * fraction:.0f}%", style=style))
        table.add_row(cls, *rendered, _percent(matrix.recall(cls)))
    table.add_row(
        Text("precision", style="italic"),
        *(Text(_percent(matrix.precision(c)), style="italic") for c in matrix.classes),
        "",
    )
    return table


class ConfusionPanel(Panel):
    """The confusion matrix of the highlighted experiment, or of two selected side by side."""

    _matrices: list[tuple[str, ConfusionMatrix | None]] | None = None

    def show(self, matrices: list[tuple[str, ConfusionMatrix | None]]) -> None:
        """Redraw with these (label, matrix) pairs (nothing to do when they are as shown: each
        DVCLive step brings them again, and a redraw lays the screen out anew)."""
        if matrices == self._matrices:
            return
        self._matrices = list(matrices)
        if not matrices:
            self.show_renderable("No experiment highlighted.")
            return
        grid = Table.grid(padding=(0, 4))
        renderables: list[RenderableType] = []
        for label, matrix in matrices:
            if matrix is None:
                renderables.append(Text(f"{label}: no confusion matrix logged (yet)", style="dim"))
            else:
                renderables.append(confusion_table(label, matrix))
        for _ in renderables:
            grid.add_column()
        grid.add_row(*renderables)
        self.show_renderable(grid)


class DiffPanel(Panel):
    """Params and metrics that differ between two selected experiments."""

    _pair: list[Experiment] | None = None

    def show(self, pair: list[Experiment]) -> None:
        """Redraw for two experiments, or explain what to select."""
        if pair == self._pair:
            return
        self._pair = list(pair)
        if len(pair) != 2:
            self.show_renderable(
                "Select two experiments with space to compare their params and metrics."
            )
            return
        left, right = pair
        table = Table(title=f"{left.label}  vs  {right.label}", title_justify="left")
        table.add_column("key")
        table.add_column(left.label, justify="right")
        table.add_column(right.label, justify="right")
        table.add_column("change", justify="right")
        sections = [("params", left.params, right.params), ("metrics", left.metrics, right.metrics)]
        for section, a, b in sections:
            a_values = {k: v for f in a.values() for k, v in f.items()}
            b_values = {k: v for f in b.values() for k, v in f.items()}
            keys = sorted(a_values.keys() | b_values.keys())
            changed = [k for k in keys if a_values.get(k) != b_values.get(k)]
            table.add_row(Text(section, style="bold"), "", "", "")
            for key in changed:
                x, y = a_values.get(key), b_values.get(key)
                delta = ""
                if isinstance(x, int | float) and isinstance(y, int | float):
                    delta = f"{y - x:+.4g}"
                table.add_row(f"  {key}", _show(x), _show(y), delta)
            if not changed:
                table.add_row(Text("  (no difference)", style="dim"), "", "", "")
        self.show_renderable(Group(table))


def _show(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


__all__ = ["ConfusionPanel", "DiffPanel", "PlotsPanel", "confusion_table", "flat_values"]
