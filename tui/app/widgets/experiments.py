"""The experiments table: workspace, baselines, experiments, their status, metrics and params.

Drawn from a `TableView` by a pure function (`table_layout`) into columns of fixed widths and
rows of cells. A new layout with the same rows and columns updates the cells that changed; the
table is rebuilt only when rows or columns change, and keeps its cursor and scroll. The
spinner of running rows updates their status cells alone, and with it their time left, which
runs down between listings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from tui.app.charts import colour_for
from tui.app.table_state import TableView
from tui.backend.experiments import Experiment
from tui.display import ERROR_MARK, cells, marked_errors, status_text

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_STYLE = {
    "running": "bold yellow",
    "queued": "cyan",
    "failed": "bold red",
    "success": "green",
    "workspace": "dim",
    "remote": "magenta",
}
NAME_WIDTH = 32
STATUS_WIDTH = 36
"""Room for `⠋ running epoch 10/15 ~1:02:10 left`."""
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


def status_cell(row: Experiment, frame: int, now: float) -> Text:
    """The status, with a spinner, the epoch and the time left at `now` while it runs."""
    text = status_text(row, now)
    if row.status == "running":
        text = f"{SPINNER[frame % len(SPINNER)]} {text}"
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


class CellMemo:
    """The cells of each row as last laid out, found again while the row, its marks and the
    columns are the same: a listing that changes one running row lays out that row alone."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Experiment, object, tuple[Text, ...], tuple[int, ...]]] = {}
        self._context: object = None

    def context(self, value: object) -> object:
        """`value`, or the equal one given before (so rows compare it by identity)."""
        if value != self._context:
            self._context = value
        return self._context

    def cells(
        self, row: Experiment, context: object, make: Callable[[], tuple[Text, ...]]
    ) -> tuple[tuple[Text, ...], tuple[int, ...]]:
        """The row's cells and their widths, from `make` when anything they show changed."""
        kept = self._rows.get(row.key)
        if kept is not None and kept[1] == context and (kept[0] is row or kept[0] == row):
            return kept[2], kept[3]
        made = make()
        lengths = tuple(text.cell_len for text in made)
        self._rows[row.key] = (row, context, made, lengths)
        return made, lengths

    def keep_only(self, keys: set[str]) -> None:
        """Forget rows that are no longer listed."""
        for key in self._rows.keys() - keys:
            del self._rows[key]


def _shown_left(row: Experiment, now: float) -> int | None:
    """The seconds left that the row's status shows at `now` (none below zero: `overdue`)."""
    left = row.seconds_left(now)
    return max(round(left), 0) if left is not None else None


def table_layout(
    view: TableView, frame: int = 0, memo: CellMemo | None = None, now: float | None = None
) -> Layout:
    """Columns with widths that fit every shown value (up to a cap), and every row's cells,
    running rows' time left counted at `now` (the wall clock when None). `memo` only saves
    work: the layout is the same with or without it."""
    memo = memo or CellMemo()
    now = time.time() if now is None else now
    rows = view.visible()
    metric_keys, param_keys = view.columns(rows)
    files = view.column_files(rows)
    names = (*metric_keys, *param_keys)
    # Shared by every row (compared by identity); a row's own part is small.
    context = memo.context((names, tuple(sorted(files.items()))))
    fixed_keys = ("marks", "Experiment", "rev", "status", "created")

    def make_cells(row: Experiment) -> Callable[[], tuple[Text, ...]]:
        def make() -> tuple[Text, ...]:
            rev = Text(row.rev[:7] if row.rev != "workspace" else "-")
            created = Text(row.created.strftime("%b %d %H:%M") if row.created else "-")
            fixed = (_marks(row.key, view), _name_cell(row), rev, status_cell(row, frame, now),
                     created)  # fmt: skip
            return fixed + tuple(Text(c) for c in cells(row, names, files))

        return make

    # A running row's status changes with the frame and the seconds it shows: either one
    # makes its cells anew (the rest of the row is found again, for the price of a subtraction).
    made = [
        memo.cells(row, (context, view.colours.get(row.key), row.key in view.starred,
                         (frame, _shown_left(row, now)) if row.status == "running" else None),
                   make_cells(row))
        for row in rows
    ]  # fmt: skip
    memo.keep_only({row.key for row in rows})
    headers = [Text(""), _header("Experiment", view), Text("rev", style="bold"),
               _header("status", view), _header("created", view)]  # fmt: skip
    headers += [_header(k, view, "bold magenta") for k in metric_keys]
    headers += [_header(k, view, "bold blue") for k in param_keys]
    keys = [*fixed_keys, *names]
    caps = [3, NAME_WIDTH, 7, STATUS_WIDTH, 12] + [VALUE_WIDTH] * len(names)
    every_length = (lengths for _, lengths in made)
    widest_of = [max(column) for column in zip(*every_length, strict=True)] if made else []
    widths = []
    for index, (header, cap) in enumerate(zip(headers, caps, strict=True)):
        widest = widest_of[index] if widest_of else 0
        # A running row's status grows ("epoch 10/15", then the time left): room for it from
        # the start, so that the table is not laid out anew when the first estimate comes.
        if keys[index] == "status" and any(row.status == "running" for row in rows):
            widest = max(widest, len("⠋ running epoch 10/100 ~12:34 left"))
        widths.append(min(max(widest, header.cell_len), max(cap, header.cell_len)))
    truncated = set()
    body = []
    for row, (row_cells, lengths) in zip(rows, made, strict=True):
        if any(length > width for length, width in zip(lengths, widths, strict=True)):
            truncated.add(row.key)
            row_cells = tuple(_cut(text, width) for text, width in zip(row_cells, widths,
                                                                       strict=True))  # fmt: skip
        body.append((row.key, row_cells))
    columns = tuple(Column(k, h, w) for k, h, w in zip(keys, headers, widths, strict=True))
    return Layout(columns, tuple(body), frozenset(truncated))


def _cut(text: Text, width: int) -> Text:
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


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
        self._memo = CellMemo()
        self.clock: Callable[[], float] = time.time
        """The wall clock running rows' time left is counted on (a test sets its own)."""

    def show(self, view: TableView, frame: int = 0) -> None:
        """Draw `view`: changed cells only when rows and columns are the same."""
        layout = table_layout(view, frame, self._memo, self.clock())
        self.rows_by_key = {row.key: row for row in view.visible()}
        old = self.layout_shown
        self.layout_shown = layout
        if (
            old is not None
            and old.columns == layout.columns
            and ([k for k, _ in old.rows] == [k for k, _ in layout.rows])
        ):
            changed = [
                (key, column.key, now)
                for (key, before), (_, after) in zip(old.rows, layout.rows, strict=True)
                if before is not after
                for column, was, now in zip(layout.columns, before, after, strict=True)
                if was != now
            ]
            self.set_cells(changed)
            return
        self._rebuild(layout)

    def set_cells(self, changed: list[tuple[str, str, Text]]) -> None:
        """Set cells and repaint their rows alone. `update_cell` repaints the whole table
        (about 35 ms a paint here, whatever the rows): too much for a spinner and a few
        running rows. Reaches into DataTable's cell store; Textual is pinned exactly, and the
        pilot tests read the cells back from the screen."""
        if not changed:
            return
        rows = set()
        for key, column, value in changed:
            row_key = RowKey(key)
            self._data[row_key][ColumnKey(column)] = value
            rows.add(row_key)
        self._update_count += 1  # render caches are keyed by it: changed rows render anew
        if len(rows) > self.size.height:
            self.refresh()
            return
        for row_key in rows:
            index = self._row_locations.get(row_key)
            if index is not None:
                self.refresh_row(index)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Every column has the width the layout gave it and every row one line: measuring
        # each new cell (DataTable's way, 30,000 cells at 2000 rows) would change nothing.
        super()._update_dimensions(())

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
        """Advance the spinner of running rows, and count their time left down: their status
        cells alone."""
        now = self.clock()
        self.set_cells(
            [
                (key, "status", status_cell(row, frame, now))
                for key, row in self.rows_by_key.items()
                if row.status == "running"
            ]
        )

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
