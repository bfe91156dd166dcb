"""How experiments are laid out as a table, the same in the app and the CLI.

Columns are named as `dvc exp show` names them: by the bare dotted key when one file has it,
by `file:key` when several files have it (two params files, or a param and a metric) or when
the key would read as one of the table's own headers. A file holding a bare value (a metrics
file that is just a number) has no column, as in DVC's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tui.backend.box import BoxReading
from tui.backend.experiments import Experiment
from tui.backend.outs import MISSING
from tui.backend.progress import clock, steps_done, total_steps

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


def status_text(row: Experiment, now: float) -> str:
    """The status; while it runs, its epoch and the time it has left at `now` (seconds since
    the epoch) where they are known: `running epoch 3/8 ~2:10 left`."""
    if row.status != "running":
        return row.status
    parts = ["running"]
    done = steps_done(row)
    if done is not None:
        total = total_steps(row.params)
        parts.append(f"epoch {done}/{total}" if total else f"epoch {done}")
    left = row.seconds_left(now)
    if left is not None:
        # Past the estimate, the step under way is slower than the recent ones, and how much
        # longer it takes is unknown until it is logged (then the estimate is made again).
        # `~0:00 left` or `finishing` would claim an end that may be epochs away.
        parts.append(f"~{clock(left)} left" if round(left) > 0 else "overdue")
    return " ".join(parts)


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


class ColumnIndex:
    """The columns of a set of rows, kept up to date row by row: a refresh that changes one
    running row among 2000 recounts that row alone (counts of each (key, file) pair, metric
    pair and param value over the rows)."""

    def __init__(self) -> None:
        self._facts: dict[str, RowFacts] = {}
        self._pairs: dict[tuple[str, str], int] = {}
        self._metric_pairs: dict[tuple[str, str], int] = {}
        self._param_items: dict[tuple[str, str, str], int] = {}
        self._values_per_param: dict[tuple[str, str], int] = {}
        self._found: dict[bool, tuple[list[str], list[str]]] = {}
        self._files: dict[str, str] | None = None

    def update(self, rows: Iterable[Experiment]) -> None:
        """Make the index that of `rows`."""
        now: dict[str, RowFacts] = {}
        for row in rows:
            key = row.key
            while key in now:  # DVC can list two rows of one name (queued and finished)
                key += "'"
            now[key] = facts(row)
        before = self._facts
        gone = [old for key, old in before.items() if now.get(key) is not old]
        came = [new for key, new in now.items() if before.get(key) is not new]
        if not gone and not came:
            return
        for old in gone:
            self._count(old, -1)
        for new in came:
            self._count(new, 1)
        self._facts = now
        self._found.clear()
        self._files = None

    def _count(self, known: RowFacts, step: int) -> None:
        for pair in known.pairs:
            _bump(self._pairs, pair, step)
        for pair in known.metric_pairs:
            _bump(self._metric_pairs, pair, step)
        for item in known.param_items:
            # A value's first row makes one more distinct value of its param; its last, one
            # fewer.
            if _bump(self._param_items, item, step) == (1 if step > 0 else 0):
                _bump(self._values_per_param, item[:2], step)

    def columns(self, only_changed: bool) -> tuple[list[str], list[str]]:
        """Metric and param column names; params that never differ can be hidden."""
        if only_changed not in self._found:
            ambiguous = _ambiguous_pairs(self._pairs)
            metric_keys = sorted({_name(file, key, ambiguous) for file, key in self._metric_pairs})
            seen: dict[str, int] = {}
            for (file, key), count in self._values_per_param.items():
                name = _name(file, key, ambiguous)
                seen[name] = seen.get(name, 0) + count
            params = sorted(k for k, count in seen.items() if not only_changed or count > 1)
            self._found[only_changed] = (metric_keys, params)
        metric_keys, params = self._found[only_changed]
        return metric_keys[:], params[:]

    def files(self) -> dict[str, str]:
        """The file each column's values come from."""
        if self._files is None:
            ambiguous = _ambiguous_pairs(self._pairs)
            self._files = {_name(file, key, ambiguous): file
                           for key, file in sorted(self._pairs)}  # fmt: skip
        return dict(self._files)


def _bump(counts: dict[Any, int], key: Any, step: int) -> int:
    count = counts.get(key, 0) + step
    if count:
        counts[key] = count
    else:
        del counts[key]
    return count


def columns(rows: Iterable[Experiment], only_changed: bool) -> tuple[list[str], list[str]]:
    """Metric and param column names of `rows`; params that never differ can be hidden."""
    index = ColumnIndex()
    index.update(rows)
    return index.columns(only_changed)


def column_files(rows: Iterable[Experiment]) -> dict[str, str]:
    """The file each column's values come from."""
    index = ColumnIndex()
    index.update(rows)
    return index.files()


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


GIB = 1024**3


def _short_name(name: str) -> str:
    return name.removeprefix("NVIDIA ").removeprefix("GeForce ").strip()


def machine_line(reading: BoxReading) -> str:
    """The reading in one line: each GPU (load, memory, temperature, the run on it), else CPU
    and RAM; empty when nothing could be read."""
    parts = []
    for gpu in reading.gpus:
        temperature = f" {gpu.temperature}°C" if gpu.temperature is not None else ""
        run = f" {gpu.claim.experiment}" if gpu.claim else " free"
        parts.append(
            f"GPU{gpu.index} {_short_name(gpu.name)} {gpu.utilisation}%"
            f" {gpu.memory_used / GIB:.1f}/{gpu.memory_total / GIB:.0f}G{temperature}{run}"
        )
    if reading.cpu_percent is not None:
        cores = f" ({reading.cpu_count} cores)" if reading.cpu_count else ""
        parts.append(f"CPU {reading.cpu_percent:.0f}%{cores}")
    if reading.ram_used is not None and reading.ram_total:
        parts.append(f"RAM {reading.ram_used / GIB:.1f}/{reading.ram_total / GIB:.0f}G")
    return "  │  ".join(parts)
