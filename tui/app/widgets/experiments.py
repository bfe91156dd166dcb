"""The experiments table: workspace, baselines, experiments, their status, metrics and params.

Drawn from a `TableView` by a pure function (`table_layout`) into columns of fixed widths and
rows of cells. A new layout with the same rows and columns updates the cells that changed; the
table is rebuilt only when rows or columns change, and keeps its cursor and scroll. The
spinner of running rows updates their status cells alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from tui.app.charts import colour_for
from tui.app.table_state import TableView
from tui.backend.experiments import Experiment
from tui.backend.follow import total_steps
from tui.display import ERROR_MARK, cells, column_files, marked_errors

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_STYLE = {
    "running": "bold yellow",
    "queued": "cyan",
    "failed": "bold red",
    "success": "green",
    "workspace": "dim",
}
NAME_WIDTH = 32
VALUE_WIDTH = 18
"""Wider values end in an ellipsis; the highlighted row's full values show below the table."""


@dataclass(frozen=True)
class Column:
    """One column: its key, header and width."""

    key: str
    label: Text
    width: int


@dataclass(frozen=True)
class Layout:
    """What the table shows: columns, and the cells of each row by key."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, tuple[Text, ...]], ...]
    truncated: frozenset[str]
    """Keys of rows with a cell cut short."""


def progress(row: Experiment) -> str:
    """`epoch n/N` of a running row, from its DVCLive step and a param naming the epochs."""
    step = next(
        (m.get("step") for m in row.metrics.values() if isinstance(m.get("step"), int)), None
    )
    if not isinstance(step, int):
        return ""
    total = total_steps(row.params)
    return f"epoch {step + 1}/{total}" if total else f"epoch {step + 1}"


def status_cell(row: Experiment, frame: int) -> Text:
    """The status, with a spinner and the epoch while it runs."""
    text: str = row.status
    if row.status == "running":
        text = f"{SPINNER[frame % len(SPINNER)]} running {progress(row)}".strip()
    return Text(text, style=STATUS_STYLE.get(row.status, ""))


def _name_cell(row: Experiment) -> Text:
    if row.kind == "workspace":
        label = Text("workspace")
    elif row.kind == "baseline":
        label = Text(row.label, style="bold")
    else:
        label = Text(f"├─ {row.label}")
    if row.error is not None or marked_errors(row):
        label.append(f" {ERROR_MARK}", style="bold red")
    return label


def _marks(key: str, view: TableView) -> Text:
    marks = Text()
    colour = view.colours.get(key)
    marks.append("●" if colour is not None else " ", style=colour_for(colour or 0))
    marks.append("★" if key in view.starred else " ", style="yellow")
    return marks


def _header(key: str, view: TableView, style: str = "bold") -> Text:
    label = Text(key, style=style)
    if key == view.sort_column:
        label.append(" ↓" if view.sort_descending else " ↑", style="bold")
    return label


def table_layout(view: TableView, frame: int = 0) -> Layout:
    """Columns with widths that fit every shown value (up to a cap), and every row's cells."""
    rows = view.visible()
    metric_keys, param_keys = view.columns(rows)
    fixed: list[tuple[str, Text, Callable[[Experiment], Text]]] = [
        ("marks", Text(""), lambda r: _marks(r.key, view)),
        ("Experiment", _header("Experiment", view), _name_cell),
        ("rev", Text("rev", style="bold"),
         lambda r: Text(r.rev[:7] if r.rev != "workspace" else "-")),
        ("status", _header("status", view), lambda r: status_cell(r, frame)),
        ("created", _header("created", view),
         lambda r: Text(r.created.strftime("%b %d %H:%M") if r.created else "-")),
    ]  # fmt: skip
    body: list[list[Text]] = [[make(row) for _, _, make in fixed] for row in rows]
    files = column_files(rows)
    for row, row_cells in zip(rows, body, strict=True):
        row_cells.extend(Text(c) for c in cells(row, [*metric_keys, *param_keys], files))
    headers = [label for _, label, _ in fixed]
    headers += [_header(k, view, "bold magenta") for k in metric_keys]
    headers += [_header(k, view, "bold blue") for k in param_keys]
    keys = [key for key, _, _ in fixed] + [*metric_keys, *param_keys]
    caps = [3, NAME_WIDTH, 7, NAME_WIDTH, 12] + [VALUE_WIDTH] * (len(keys) - len(fixed))
    widths = []
    for index, (header, cap) in enumerate(zip(headers, caps, strict=True)):
        widest = max((row_cells[index].cell_len for row_cells in body), default=0)
        # A running row's status grows ("epoch 10/15"): room for it from the start.
        if keys[index] == "status" and any(row.status == "running" for row in rows):
            widest = max(widest, len("⠋ running epoch 100/100"))
        widths.append(min(max(widest, header.cell_len), max(cap, header.cell_len)))
    truncated = set()
    for row, row_cells in zip(rows, body, strict=True):
        for index, text in enumerate(row_cells):
            if text.cell_len > widths[index]:
                text.truncate(widths[index], overflow="ellipsis")
                truncated.add(row.key)
    columns = tuple(Column(k, h, w) for k, h, w in zip(keys, headers, widths, strict=True))
    return Layout(
        columns, tuple((row.key, tuple(c)) for row, c in zip(rows, body, strict=True)),
        frozenset(truncated),
    )  # fmt: skip


class ExperimentsTable(DataTable[Any]):
    """A DataTable with vi keys, a row per experiment, and the Experiment column kept in view."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, tooltip="move down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="move up"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, fixed_columns=2, **kwargs)
        self.rows_by_key: dict[str, Experiment] = {}
        self.layout_shown: Layout | None = None
        self.rebuilds = 0
        """How many times the rows were laid out anew (tests check it stays put)."""

    def show(self, view: TableView, frame: int = 0) -> None:
        """Draw `view`: changed cells only when rows and columns are the same."""
        layout = table_layout(view, frame)
        self.rows_by_key = {row.key: row for row in view.visible()}
        old = self.layout_shown
        self.layout_shown = layout
        if (
            old is not None
            and old.columns == layout.columns
            and ([k for k, _ in old.rows] == [k for k, _ in layout.rows])
        ):
            for (key, before), (_, after) in zip(old.rows, layout.rows, strict=True):
                for column, was, now in zip(layout.columns, before, after, strict=True):
                    if was != now:
                        self.update_cell(key, column.key, now)
            return
        self._rebuild(layout)

    def _rebuild(self, layout: Layout) -> None:
        current, index = self.highlighted_key, self.cursor_row
        scroll = (self.scroll_x, self.scroll_y)
        self.rebuilds += 1
        with self.app.batch_update():
            self.clear(columns=True)
            for column in layout.columns:
                self.add_column(column.label, key=column.key, width=column.width)
            for key, cells in layout.rows:
                self.add_row(*cells, key=key)
            keys = [key for key, _ in layout.rows]
            if keys:
                # The same experiment when it is still there, else its neighbour.
                target = keys.index(current) if current in keys else min(index, len(keys) - 1)
                self.move_cursor(row=target, scroll=False)
            self.scroll_to(*scroll, animate=False, immediate=True)

    def spin(self, frame: int) -> None:
        """Advance the spinner of running rows: their status cells alone."""
        for key, row in self.rows_by_key.items():
            if row.status == "running":
                self.update_cell(key, "status", status_cell(row, frame))

    @property
    def highlighted_key(self) -> str | None:
        """The row key under the cursor."""
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    @property
    def highlighted(self) -> Experiment | None:
        """The experiment under the cursor."""
        key = self.highlighted_key
        return self.rows_by_key.get(key) if key else None
