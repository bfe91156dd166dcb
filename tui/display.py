"""How experiments are laid out as a table, the same in the app and the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.backend.experiments import Experiment


def cell(value: Any) -> str:
    """Four significant digits for floats, a dash for nothing, the value otherwise."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def flat_values(row: Experiment) -> dict[str, Any]:
    """Every param and metric of a row by dotted key (without the file name)."""
    values: dict[str, Any] = {}
    for section in (row.params, row.metrics):
        for file_values in section.values():
            values.update(file_values)
    return values


def columns(rows: Iterable[Experiment], only_changed: bool) -> tuple[list[str], list[str]]:
    """Metric and param columns (dotted keys); params that never differ can be hidden."""
    rows = list(rows)
    metric_keys = sorted({k for r in rows for m in r.metrics.values() for k in m})
    seen: dict[str, set[str]] = {}
    for row in rows:
        for values in row.params.values():
            for key, value in values.items():
                seen.setdefault(key, set()).add(repr(value))
    param_keys = sorted(k for k, v in seen.items() if not only_changed or len(v) > 1)
    return metric_keys, param_keys
