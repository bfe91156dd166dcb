"""What the experiments table shows, as one object with pure methods: the rows, the selection
and its colours, stars, the sort, the filter and the hidden columns. No widgets: the table
widget draws a `TableView`, the app changes it through its methods."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.backend.experiments import Experiment
from tui.display import ColumnIndex, columns, flat_values

_COMPARISON = re.compile(r"^\s*([\w./:-]+)\s*(<=|>=|==|!=|<|>|=)(.*)$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_OPERATOR_CHARS = frozenset("<>=!")


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text.strip().strip("'\"")


@dataclass(frozen=True)
class RowFilter:
    """`/` text: a comparison like `eval.accuracy>0.9`, or words to find in name, rev, values."""

    text: str = ""

    def _comparison(self) -> tuple[str, str, str] | None:
        found = _COMPARISON.match(self.text)
        return (found.group(1), found.group(2), found.group(3).strip()) if found else None

    def error(self) -> str | None:
        """Why the text cannot be the comparison it looks like, or None (then it filters)."""
        comparison = self._comparison()
        if comparison is None:
            return None
        _key, op, wanted = comparison
        if not wanted:
            return f"{self.text!r}: a value is missing after {op}"
        if wanted[0] in _OPERATOR_CHARS:
            return f"{self.text!r}: one operator of < <= > >= = == != please"
        return None

    def matches(self, row: Experiment) -> bool:
        """Whether the row stays visible (the workspace and baselines always do; a filter
        with an error hides nothing)."""
        if not self.text.strip() or row.kind != "experiment" or self.error():
            return True
        comparison = self._comparison()
        if comparison:
            key, op, wanted = comparison
            values = flat_values(row)
            if key not in values:
                return False
            left, right = values[key], _number(wanted)
            try:
                if isinstance(right, float) and isinstance(left, int | float):
                    return _OPERATORS[op](float(left), right)
                return _OPERATORS[op](str(left), str(right))
            except TypeError:
                return False
        needle = self.text.lower()
        haystack = " ".join(
            [row.label, row.rev, row.status, *(str(v) for v in flat_values(row).values())]
        ).lower()
        return all(word in haystack for word in needle.split())


def sort_key(column: str) -> Callable[[Experiment], tuple[int, Any]]:
    """A key that sorts by one column, missing values last."""

    def key(row: Experiment) -> tuple[int, Any]:
        if column == "Experiment":
            return (0, row.label)
        if column == "created":
            return (0, row.created.timestamp()) if row.created else (1, 0)
        if column == "status":
            return (0, row.status)
        value = flat_values(row).get(column)
        if value is None:
            return (2, 0)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (0, value)
        return (1, str(value))

    return key


def arrange(
    rows: list[Experiment], row_filter: RowFilter, sort_column: str | None, descending: bool
) -> list[Experiment]:
    """Filter, then sort the experiments within each baseline (baselines keep their order)."""
    arranged: list[Experiment] = []
    group: list[Experiment] = []

    def flush() -> None:
        kept = [r for r in group if row_filter.matches(r)]
        if sort_column:
            kept.sort(key=sort_key(sort_column), reverse=descending)
        arranged.extend(kept)
        group.clear()

    for row in rows:
        if row.kind == "experiment":
            group.append(row)
        else:
            flush()
            arranged.append(row)
    flush()
    return arranged


FIXED_COLUMNS = ("Experiment", "created", "status")


def with_remote(rows: list[Experiment], remote: list[Experiment]) -> list[Experiment]:
    """The listing with a remote's experiments (status "remote") after the experiments of
    their baseline; those of a baseline not listed here have nowhere to go and are left out,
    and one pulled since the remote was asked is the local row alone."""
    if not remote:
        return rows
    here = {(row.baseline, row.name) for row in rows if row.kind == "experiment"}
    by_baseline: dict[str | None, list[Experiment]] = {}
    for row in remote:
        if (row.baseline, row.name) not in here:
            by_baseline.setdefault(row.baseline, []).append(row)
    merged: list[Experiment] = []
    for index, row in enumerate(rows):
        merged.append(row)
        following = rows[index + 1] if index + 1 < len(rows) else None
        group = row.baseline if row.kind != "workspace" else None
        if group in by_baseline and (following is None or following.kind != "experiment"):
            merged.extend(by_baseline.pop(group))
    return merged


@dataclass
class TableView:
    """The table's state. Keys are `Experiment.key`, which survive a rev change."""

    rows: list[Experiment] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    """Selected row keys, in the order they were selected."""
    colours: dict[str, int] = field(default_factory=dict)
    """Each selected row keeps its colour slot until it is unselected."""
    starred: set[str] = field(default_factory=set)
    row_filter: RowFilter = field(default_factory=RowFilter)
    sort_column: str | None = None
    sort_descending: bool = False
    only_changed: bool = True
    hidden: set[str] = field(default_factory=set)
    alerts: bool = True
    """The bell and a desktop notification when a run ends (a toast always)."""
    custom_x: str | None = None
    custom_y: str | None = None
    """The Custom tab's axes, columns of the listing (None: the default one)."""
    _shown_columns: ColumnIndex = field(default_factory=ColumnIndex, repr=False, compare=False)

    def settings(self) -> dict[str, Any]:
        """The choices worth keeping between sessions."""
        return {
            "starred": sorted(self.starred), "hidden": sorted(self.hidden),
            "only_changed": self.only_changed, "sort_column": self.sort_column,
            "sort_descending": self.sort_descending, "alerts": self.alerts,
            "custom_x": self.custom_x, "custom_y": self.custom_y,
        }  # fmt: skip

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Take back choices saved by `settings` (entries missing or of a wrong type ignored)."""
        self.starred = set(settings.get("starred", self.starred))
        self.hidden = set(settings.get("hidden", self.hidden))
        self.only_changed = settings.get("only_changed", self.only_changed)
        self.sort_column = settings.get("sort_column", self.sort_column)
        self.sort_descending = settings.get("sort_descending", self.sort_descending)
        self.alerts = settings.get("alerts", self.alerts)
        self.custom_x = settings.get("custom_x", self.custom_x)
        self.custom_y = settings.get("custom_y", self.custom_y)

    def set_rows(self, rows: list[Experiment]) -> None:
        """A new listing; the selection forgets rows that are gone. A key is shown once (the
        table cannot hold two rows of one key): DVC lists a queued run and a finished one of
        the same name under one baseline (and briefly a run that just finished, twice); the
        finished row stays."""
        chosen: dict[str, Experiment] = {}
        for row in rows:
            if row.key not in chosen or row.status == "success":
                chosen[row.key] = row
        keys = set(chosen)
        self.rows = rows if len(chosen) == len(rows) else [r for r in rows if chosen[r.key] is r]
        self.selected = [k for k in self.selected if k in keys]
        self.colours = {k: v for k, v in self.colours.items() if k in keys}

    def by_key(self) -> dict[str, Experiment]:
        """Rows by key."""
        return {row.key: row for row in self.rows}

    def toggle_select(self, key: str) -> None:
        """Select, or unselect; a new selection takes the lowest free colour."""
        if key in self.selected:
            self.selected.remove(key)
            self.colours.pop(key, None)
            return
        self.selected.append(key)
        taken = set(self.colours.values())
        self.colours[key] = next(i for i in range(len(taken) + 1) if i not in taken)

    def toggle_star(self, key: str) -> None:
        """Star, or unstar."""
        self.starred.symmetric_difference_update({key})

    def selected_rows(self) -> list[Experiment]:
        """The selected rows, in selection order."""
        by_key = self.by_key()
        return [by_key[k] for k in self.selected if k in by_key]

    def charted(self, highlighted: Experiment | None) -> list[Experiment]:
        """What the charts show: the selection, else the highlighted row, else the first."""
        chosen = self.selected_rows()
        if chosen:
            return chosen
        if highlighted is not None:
            return [highlighted]
        return self.rows[:1]

    def targets(self, highlighted: Experiment | None) -> list[Experiment]:
        """What an action acts on: the selection when the highlighted row is part of it,
        else the highlighted row alone (the obvious target)."""
        if highlighted is None:
            return []
        if highlighted.key in self.selected:
            return self.selected_rows()
        return [highlighted]

    def visible(self) -> list[Experiment]:
        """The rows shown, filtered and sorted."""
        return arrange(self.rows, self.row_filter, self.sort_column, self.sort_descending)

    def columns(self, rows: list[Experiment] | None = None) -> tuple[list[str], list[str]]:
        """Metric and param columns shown (of the visible rows, or of `rows`)."""
        self._shown_columns.update(self.visible() if rows is None else rows)
        metric_keys, param_keys = self._shown_columns.columns(self.only_changed)
        return (
            [k for k in metric_keys if k not in self.hidden],
            [k for k in param_keys if k not in self.hidden],
        )

    def value_columns(
        self, rows: list[Experiment] | None = None, *, only_changed: bool = False
    ) -> tuple[list[str], list[str]]:
        """Metric and param columns of the visible rows (or of `rows`), hidden ones too:
        what the Custom tab can plot."""
        self._shown_columns.update(self.visible() if rows is None else rows)
        return self._shown_columns.columns(only_changed)

    def column_files(self, rows: list[Experiment] | None = None) -> dict[str, str]:
        """The file each column's values come from (of the visible rows, or of `rows`)."""
        self._shown_columns.update(self.visible() if rows is None else rows)
        return self._shown_columns.files()

    def all_columns(self) -> list[str]:
        """Every column that can be sorted by or hidden."""
        metric_keys, param_keys = columns(self.rows, only_changed=False)
        return [*FIXED_COLUMNS, *metric_keys, *param_keys]

    def next_sort(self) -> None:
        """`o`: ascending, then descending, then the next column."""
        order = [*FIXED_COLUMNS, *(k for part in self.columns() for k in part)]
        if self.sort_column is not None and not self.sort_descending:
            self.sort_descending = True
            return
        index = order.index(self.sort_column) + 1 if self.sort_column in order else 0
        self.sort_column = order[index % len(order)]
        self.sort_descending = False

    def sort_by(self, column: str) -> None:
        """A header click: sort by it, again to reverse."""
        self.sort_descending = column == self.sort_column and not self.sort_descending
        self.sort_column = column
