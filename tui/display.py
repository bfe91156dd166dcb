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


def _entries(row: Experiment) -> Iterable[tuple[str, str, str, Any]]:
    """(section, file, key, value) of every param and metric of `row` that has a key."""
    for section, files in (("metrics", row.metrics), ("params", row.params)):
        for file, values in files.items():
            for key, value in values.items():
                if key:
                    yield section, file, key, value


class RowFacts:
    """What the table needs of one row, derived once: its values by column name and the
    (key, file) pairs that decide how columns are named."""

    __slots__ = ("metric_pairs", "pairs", "param_items", "values")

    def __init__(self, row: Experiment) -> None:
        entries = list(_entries(row))
        self.pairs = frozenset((key, file) for _, file, key, _ in entries)
        self.metric_pairs = frozenset(
            (file, key) for section, file, key, _ in entries if section == "metrics"
        )
        # repr: values can be lists or dicts; equal values have equal reprs.
        self.param_items = frozenset(
            (file, key, repr(value)) for section, file, key, value in entries
            if section == "params"
        )  # fmt: skip
        ambiguous = _ambiguous_pairs(self.pairs)
        values: dict[str, Any] = {}
        for _, file, key, value in entries:
            values[f"{file}:{key}"] = value
            if key not in ambiguous:
                values[key] = value
        self.values = values


_FACTS: dict[str, tuple[Experiment, RowFacts]] = {}
_FACTS_KEPT = 20_000
"""The backend hands back the same object for a row that did not change (a commit's row), so
facts are found by row key and kept while the row is that object; a changed row (the
workspace, a running one) is derived again, which costs less than comparing it. Bounded for
sessions that see many experiments come and go."""


def facts(row: Experiment) -> RowFacts:
    """The row's facts, derived again only for a new row object."""
    kept = _FACTS.get(row.key)
    if kept is not None and kept[0] is row:
        return kept[1]
    if len(_FACTS) >= _FACTS_KEPT:
        _FACTS.clear()
    derived = RowFacts(row)
    _FACTS[row.key] = (row, derived)
    return derived


def _ambiguous_pairs(pairs: Iterable[tuple[str, str]]) -> set[str]:
    files_by_key: dict[str, int] = {}
    for key, _file in pairs:
        files_by_key[key] = files_by_key.get(key, 0) + 1
    return {key for key, count in files_by_key.items() if count > 1 or key in RESERVED}


def _name(file: str, key: str, ambiguous: set[str]) -> str:
    return f"{file}:{key}" if key in ambiguous else key


def flat_values(row: Experiment) -> dict[str, Any]:
    """Every param and metric of a row by column name: `file:key` always, and the bare key
    too when no other file of the row has it (so a bare column finds its value). Shared:
    read it, never change it."""
    return facts(row).values


def columns(rows: Iterable[Experiment], only_changed: bool) -> tuple[list[str], list[str]]:
    """Metric and param column names; params that never differ can be hidden."""
    known = [facts(row) for row in rows]
    # A refresh mostly brings the same rows: the same facts objects, compared by identity.
    kept = _LAST_COLUMNS.get(only_changed)
    if kept is not None and kept[0] == known:
        return kept[1][0][:], kept[1][1][:]
    found = _columns(known, only_changed)
    _LAST_COLUMNS[only_changed] = (known, found)
    return found[0][:], found[1][:]


_LAST_COLUMNS: dict[bool, tuple[list[RowFacts], tuple[list[str], list[str]]]] = {}


def _columns(known: list[RowFacts], only_changed: bool) -> tuple[list[str], list[str]]:
    ambiguous = _ambiguous_pairs(set().union(*(f.pairs for f in known)))
    metric_pairs: set[tuple[str, str]] = set().union(*(f.metric_pairs for f in known))
    metric_keys = {_name(file, key, ambiguous) for file, key in metric_pairs}
    seen: dict[str, int] = {}
    for file, key, _value in set().union(*(f.param_items for f in known)):
        name = _name(file, key, ambiguous)
        seen[name] = seen.get(name, 0) + 1
    param_keys = sorted(k for k, count in seen.items() if not only_changed or count > 1)
    return sorted(metric_keys), param_keys


def column_files(rows: Iterable[Experiment]) -> dict[str, str]:
    """The file each column's values come from."""
    known = [facts(row) for row in rows]
    kept = _LAST_FILES.get(0)
    if kept is not None and kept[0] == known:
        return dict(kept[1])
    pairs: set[tuple[str, str]] = set().union(*(f.pairs for f in known))
    ambiguous = _ambiguous_pairs(pairs)
    found = {_name(file, key, ambiguous): file for key, file in sorted(pairs)}
    _LAST_FILES[0] = (known, found)
    return dict(found)


_LAST_FILES: dict[int, tuple[list[RowFacts], dict[str, str]]] = {}


def cells(row: Experiment, names: Iterable[str], files: Mapping[str, str]) -> list[str]:
    """A row's cells under columns `names` (`files`: column_files of the listing); as in DVC's
    table, every value of a file that does not parse reads `!`."""
    values = facts(row).values
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
