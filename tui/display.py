"""How experiments are laid out as a table, the same in the app and the CLI.

Columns are named as `dvc exp show` names them: by the bare dotted key when one file has it,
by `file:key` when several files have it (two params files, or a param and a metric) or when
the key would read as one of the table's own headers. A file holding a bare value (a metrics
file that is just a number) has no column, as in DVC's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tui.backend.experiments import Experiment
from tui.backend.outs import MISSING

# The fixed headers of DVC's table and of ours: a key named so is always qualified.
RESERVED = frozenset(
    {"Experiment", "rev", "typ", "Created", "parent", "State", "Executor", "status", "created"}
)
ERROR_MARK = "!"


def cell(value: Any) -> str:
    """Four significant digits for floats, a dash for nothing, the value otherwise."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _entries(rows: Iterable[Experiment]) -> Iterable[tuple[str, str, str, Any]]:
    """(section, file, key, value) of every param and metric of `rows` that has a key."""
    for row in rows:
        for section, files in (("metrics", row.metrics), ("params", row.params)):
            for file, values in files.items():
                for key, value in values.items():
                    if key:
                        yield section, file, key, value


def _ambiguous(rows: Iterable[Experiment]) -> set[str]:
    files_by_key: dict[str, set[str]] = {}
    for _, file, key, _ in _entries(rows):
        files_by_key.setdefault(key, set()).add(file)
    return {key for key, files in files_by_key.items() if len(files) > 1 or key in RESERVED}


def _name(file: str, key: str, ambiguous: set[str]) -> str:
    return f"{file}:{key}" if key in ambiguous else key


def flat_values(row: Experiment) -> dict[str, Any]:
    """Every param and metric of a row by column name: `file:key` always, and the bare key
    too when no other file of the row has it (so a bare column finds its value)."""
    ambiguous = _ambiguous([row])
    values: dict[str, Any] = {}
    for _, file, key, value in _entries([row]):
        values[f"{file}:{key}"] = value
        if key not in ambiguous:
            values[key] = value
    return values


def columns(rows: Iterable[Experiment], only_changed: bool) -> tuple[list[str], list[str]]:
    """Metric and param column names; params that never differ can be hidden."""
    rows = list(rows)
    ambiguous = _ambiguous(rows)
    metric_keys: set[str] = set()
    seen: dict[str, set[str]] = {}
    for section, file, key, value in _entries(rows):
        name = _name(file, key, ambiguous)
        if section == "metrics":
            metric_keys.add(name)
        else:
            seen.setdefault(name, set()).add(repr(value))
    param_keys = sorted(k for k, v in seen.items() if not only_changed or len(v) > 1)
    return sorted(metric_keys), param_keys


def column_files(rows: Iterable[Experiment]) -> dict[str, str]:
    """The file each column's values come from."""
    rows = list(rows)
    ambiguous = _ambiguous(rows)
    return {_name(file, key, ambiguous): file for _, file, key, _ in _entries(rows)}


def cells(row: Experiment, names: Iterable[str], files: Mapping[str, str]) -> list[str]:
    """A row's cells under columns `names` (`files`: column_files of the listing); as in DVC's
    table, every value of a file that does not parse reads `!`."""
    values = flat_values(row)
    errors = marked_errors(row)
    return [ERROR_MARK if files.get(name) in errors else cell(values.get(name)) for name in names]


def marked_errors(row: Experiment) -> dict[str, str]:
    """The errors worth a mark: a file that is there and does not parse. A file not written
    yet is ordinary (before a run, for one) and stays a plain dash."""
    return {file: error for file, error in row.errors.items() if error != MISSING}


def error_summary(row: Experiment) -> str:
    """One line on what DVC cannot read in this row, or ""."""
    if row.error is not None:
        return f"{ERROR_MARK} {row.label}: {row.error}"
    errors = marked_errors(row)
    return "  ".join(f"{ERROR_MARK} {file}: {error}" for file, error in errors.items())
