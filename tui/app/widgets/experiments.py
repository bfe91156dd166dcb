"""The experiments table: workspace, baselines, experiments, their status, metrics and params."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from tui.app.charts import colour_for
from tui.backend.experiments import Experiment
from tui.display import ERROR_MARK, cells, column_files, marked_errors

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_STYLE = {
    "running": "bold yellow",
    "queued": "cyan",
    "failed": "bold red",
    "success": "green",
    "workspace": "dim",
}


def row_key(row: Experiment) -> str:
    """A key unique within a listing (a workspace run shares the rev "workspace")."""
    return "workspace (running)" if row.rev == "workspace" and row.kind == "experiment" else row.rev


class ExperimentsTable(DataTable[Any]):
    """A DataTable with vi keys and a row per experiment."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_by_key: dict[str, Experiment] = {}
        self.frame = 0

    def show(
        self,
        rows: list[Experiment],
        metric_keys: list[str],
        param_keys: list[str],
        selected: dict[str, int],
        starred: set[str],
        progress: dict[str, str],
    ) -> None:
        """Redraw every row, keeping the cursor on the same experiment."""
        current = self.highlighted_key
        self.clear(columns=True)
        self.add_column("", key="marks", width=3)
        self.add_column("Experiment", key="Experiment")
        self.add_column("rev", key="rev")
        self.add_column("status", key="status")
        self.add_column("created", key="created")
        for key in metric_keys:
            self.add_column(Text(key, style="bold magenta"), key=key)
        for key in param_keys:
            self.add_column(Text(key, style="bold blue"), key=key)
        self.rows_by_key = {}
        files = column_files(rows)
        for row in rows:
            key = row_key(row)
            self.rows_by_key[key] = row
            marks = Text()
            if key in selected:
                marks.append("●", style=colour_for(selected[key]))
            else:
                marks.append(" ")
            marks.append("★" if key in starred else " ", style="yellow")
            name = {"workspace": "workspace", "baseline": row.label}.get(row.kind)
            label = Text(name) if name else Text(f"├─ {row.label}")
            if row.kind == "baseline":
                label.stylize("bold")
            if row.error is not None or marked_errors(row):
                label.append(f" {ERROR_MARK}", style="bold red")
            status: str = row.status
            if status == "running":
                status = f"{SPINNER[self.frame % len(SPINNER)]} running {progress.get(key, '')}"
            self.add_row(
                marks,
                label,
                row.rev[:7] if row.rev != "workspace" else "-",
                Text(status.strip(), style=STATUS_STYLE.get(row.status, "")),
                row.created.strftime("%b %d %H:%M") if row.created else "-",
                *cells(row, [*metric_keys, *param_keys], files),
                key=key,
            )
        if current in self.rows_by_key:
            self.move_cursor(row=self.get_row_index(current))

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
