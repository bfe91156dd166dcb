"""What the experiments table shows: filters, sorting, columns. Pure functions, no widgets."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.backend.experiments import Experiment
from tui.display import flat_values

_COMPARISON = re.compile(r"^\s*([\w./:-]+)\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


@dataclass(frozen=True)
class RowFilter:
    """`/` text: a comparison like `eval.accuracy>0.9`, or words to find in name, rev, values."""

    text: str = ""

    def error(self) -> str | None:
        """Why the text cannot be a comparison it looks like, or None."""
        return None

    def matches(self, row: Experiment) -> bool:
        """Whether the row stays visible (the workspace and baselines always do)."""
        if not self.text.strip() or row.kind != "experiment":
            return True
        comparison = _COMPARISON.match(self.text)
        if comparison:
            key, op, wanted = comparison.groups()
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
