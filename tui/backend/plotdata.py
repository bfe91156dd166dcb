"""What the plots of one revision show: per-step series, confusion matrices, curves, images.

`assemble` turns plot definitions (`plots`) into data through a `PlotReader`, which reads a
commit's files once or a working tree's incrementally; naming and aggregation are the same
for both. A `LiveData` is a snapshot: nothing in it is changed after it is returned, so the
app may hold and draw it on another thread while the next one is read.

Names: a per-step series is named after the metric as DVCLive logged it (`train/loss`: the
TSV's path under `<dir>/plots/metrics/`), a confusion matrix or curve after its file under
`<dir>/plots/sklearn/` (or `custom/`), without the suffix (`cm/test`); `<dir>:` comes first
when the revision has several DVCLive folders. Data outside any DVCLive folder is named
`<file path>:<field>` (series, curves) or by its path (matrices). See `layout` for how the
app groups series into charts.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.backend.formats import UnreadableFile, parse_yaml
from tui.backend.layout import VALIDATION_SPLITS, ChartGroup, group_charts
from tui.backend.live import ConfusionMatrix, Series, confusion_matrix, curve
from tui.backend.plots import PlotFile, Plots, PlotSpec, live_folder_of
from tui.backend.steptable import StepTable

TABLE_SUFFIXES = frozenset({".tsv", ".csv"})


@dataclass(frozen=True)
class Curve:
    """One curve of a non-step plot (ROC, precision-recall...)."""

    name: str
    title: str
    x: str
    y: str
    xs: list[float]
    ys: list[float]


@dataclass
class LiveData:
    """What the charts, confusion matrices and curves of one experiment show."""

    series: dict[str, Series] = field(default_factory=dict)
    """Per-step series with at least one point, by name."""
    confusion: ConfusionMatrix | None = None
    """The matrix to show when only one is shown (a validation/test one first)."""
    confusions: dict[str, ConfusionMatrix] = field(default_factory=dict)
    curves: dict[str, Curve] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)
    """Per-step series that exist (a value column) without a point yet."""
    images: list[str] = field(default_factory=list)
    """Repo-relative paths of logged images."""
    titles: dict[str, str] = field(default_factory=dict)
    """A declared title per confusion matrix or curve name."""
    plots: list[PlotSpec] = field(default_factory=list)
    """The plot definitions this was read from."""
    folders: list[str] = field(default_factory=list)
    """The DVCLive folders of the revision."""

    @property
    def charts(self) -> list[ChartGroup]:
        """This experiment's chart groups (`layout.group_charts`); for several experiments,
        group the union of their names."""
        return group_charts(self.series, self.empty)


class PlotReader(Protocol):
    """Data files of one revision."""

    def table(self, plot_file: PlotFile) -> StepTable | None:
        """A TSV/CSV file read as a per-step table; None if there is no such file."""

    def content(self, path: str) -> Any:
        """A JSON/YAML/TSV/CSV file parsed (tables as a list of rows); None if missing or
        unreadable."""


def parse_content(path: str, data: bytes) -> Any:
    """A plot file's data as DVC parses it (`dvc.repo.plots.parse`); ValueError if it does
    not parse."""
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in TABLE_SUFFIXES:
        text = data.decode("utf-8", errors="replace")
        delimiter = "\t" if suffix == ".tsv" else ","
        return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    if suffix in (".yaml", ".yml"):
        try:
            return parse_yaml(data)
        except UnreadableFile as error:
            raise ValueError(str(error)) from None
    return json.loads(data)


def delimiter_of(path: str) -> str:
    """TSV or CSV, by the suffix (DVC's rule)."""
    return "," if path.lower().endswith(".csv") else "\t"


class _Namer:
    def __init__(self, folders: list[str]) -> None:
        self.folders = set(folders)
        self.several = len(self.folders) > 1

    def name(self, path: str, column: str | None = None, columns: int = 1) -> str:
        folder = live_folder_of(path)
        if folder is None or folder not in self.folders:
            return f"{path}:{column}" if column else path
        relative = path[len(folder) + 1 :].split("/", 2)[2] if folder else path
        base = posixpath.splitext(relative)[0]
        if column and columns > 1 and column != posixpath.basename(base):
            base = f"{base}/{column}"
        return f"{folder}:{base}" if self.several else base


def _rows_series(name: str, rows: Any, x: str | None, y: str) -> Series | None:
    # A line plot kept in JSON/YAML: a list of rows (or a mapping holding one).
    if isinstance(rows, Mapping) and len(rows) == 1:
        rows = next(iter(rows.values()))
    if not isinstance(rows, list):
        return None
    series = Series(name)
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        try:
            step = int(row[x]) if x is not None else index
            value = float(row[y])
        except (KeyError, TypeError, ValueError):
            continue
        series.steps.append(step)
        series.values.append(value)
    series.logged = len(series.steps)
    return series


def _default_y(rows: Any, x: str | None) -> str | None:
    # DVC's default y: the last field of the first row.
    if isinstance(rows, Mapping) and len(rows) == 1:
        rows = next(iter(rows.values()))
    if isinstance(rows, list) and rows and isinstance(rows[0], Mapping):
        fields = [k for k in rows[0] if k not in (x, "step", "timestamp")]
        return str(fields[-1]) if fields else None
    return None


def _preferred(names: Iterable[str]) -> str | None:
    names = list(names)
    for name in names:
        parts = name.replace(":", "/").lower().split("/")
        if any(part in VALIDATION_SPLITS or part.startswith(VALIDATION_SPLITS) for part in parts):
            return name
    return names[0] if names else None


def assemble(plots: Plots, reader: PlotReader) -> LiveData:
    """Read every plot of a revision into a LiveData; what is missing or does not parse is
    left out, never raised."""
    data = LiveData(plots=list(plots.specs), folders=list(plots.folders))
    namer = _Namer(plots.folders)
    done: set[tuple[str, str | None, tuple[str, ...], str]] = set()
    for spec in plots.specs:
        for plot_file in spec.files:
            key = (plot_file.path, plot_file.x, plot_file.y, spec.kind)
            if key in done:
                continue
            done.add(key)
            if spec.kind == "line":
                _read_line(data, namer, reader, plot_file)
            elif spec.kind == "confusion":
                _read_confusion(data, namer, reader, spec, plot_file)
            elif spec.kind == "curve":
                _read_curve(data, namer, reader, spec, plot_file)
            elif plot_file.path not in data.images:
                data.images.append(plot_file.path)
    preferred = _preferred(data.confusions)
    data.confusion = data.confusions[preferred] if preferred is not None else None
    return data


def _read_line(data: LiveData, namer: _Namer, reader: PlotReader, plot_file: PlotFile) -> None:
    path = plot_file.path
    if posixpath.splitext(path)[1].lower() in TABLE_SUFFIXES:
        table = reader.table(plot_file)
        if table is None:
            return
        fields = table.fields
        for column in fields:
            name = namer.name(path, column, len(fields))
            series = table.series(column, name)
            if series.steps:
                data.series[name] = series
            else:
                data.empty.add(name)
        return
    rows = reader.content(path)
    y_fields = plot_file.y or tuple(filter(None, [_default_y(rows, plot_file.x)]))
    for column in y_fields:
        name = namer.name(path, column, len(y_fields))
        parsed = _rows_series(name, rows, plot_file.x, column)
        if parsed is not None and parsed.steps:
            data.series[name] = parsed


def _read_confusion(
    data: LiveData, namer: _Namer, reader: PlotReader, spec: PlotSpec, plot_file: PlotFile
) -> None:
    matrix = confusion_matrix(
        reader.content(plot_file.path),
        plot_file.x or "actual",
        plot_file.y[0] if plot_file.y else "predicted",
    )
    if matrix is not None:
        name = namer.name(plot_file.path)
        data.confusions[name] = matrix
        data.titles[name] = spec.title or spec.id


def _read_curve(
    data: LiveData, namer: _Namer, reader: PlotReader, spec: PlotSpec, plot_file: PlotFile
) -> None:
    rows = reader.content(plot_file.path)
    x = plot_file.x
    if x is None:
        return
    y_fields = plot_file.y or tuple(filter(None, [_default_y(rows, x)]))
    for column in y_fields:
        points = curve(rows, x, column)
        if points is None:
            continue
        name = namer.name(plot_file.path, column, len(y_fields))
        data.curves[name] = Curve(name, spec.title or spec.id, x, column, *points)
        data.titles[name] = spec.title or spec.id
