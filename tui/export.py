"""The charts of some experiments written to a file, for a report or a chat message, the same
from the app (`x`) and the CLI (`catdog-tui plots export`). The format is the file's suffix:

- `.csv`: one row per point (`experiment, metric, step, value`), the data behind the charts;
- `.json`: `{experiment: {metric: {"steps": [...], "values": [...]}}}`;
- `.svg`: the charts as the terminal draws them (plotext), as a picture (Rich's SVG export);
- `.png`: that picture rasterised by cairosvg, where it is installed (it needs the Cairo
  library, which not every machine has: `.svg` always works).

The chart view travels with the export (the app's `z`, `y`, `-`/`+`; the CLI's `--steps`,
`--log-y`, `--smoothing`): data and picture hold the steps shown, the data a `smoothed` column
beside the logged values when smoothing is on (smoothed over the whole run, then cut, as the
chart does), the picture the log axis.

Written whole to a temporary file beside the target and renamed into place: a failure leaves
no half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tui.app.chart_view import PLAIN, ChartView, smooth, within
from tui.app.charts import chart_matches, grid_for, render_page
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment
from tui.backend.plotdata import LiveData

FORMATS = (".csv", ".json", ".svg", ".png")
PICTURE_WIDTH = 120
"""Terminal columns of an exported picture: two charts side by side."""


Points = dict[str, dict[str, tuple[list[float], list[float], list[float] | None]]]
"""experiment: metric: (steps, values, smoothed values or None)."""


def _points(
    charted: Sequence[tuple[Experiment, LiveData]], metric: str | None, view: ChartView
) -> Points:
    found: Points = {}
    for experiment, live in charted:
        for name, series in sorted(live.series.items()):
            if metric and not chart_matches(name, metric):
                continue
            steps: list[float] = list(series.steps)
            values = list(series.values)
            smoothed = None
            if view.smoothing:
                smoothed = within(steps, smooth(values, view.smoothing), view.steps)[1]
            steps, values = within(steps, values, view.steps)
            if steps:
                found.setdefault(experiment.label, {})[name] = (steps, values, smoothed)
    return found


def _csv(points: Points) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    smoothing = any(s is not None for m in points.values() for _, _, s in m.values())
    writer.writerow(["experiment", "metric", "step", "value", *(["smoothed"] * smoothing)])
    for label, metrics in points.items():
        for name, (steps, values, smoothed) in metrics.items():
            columns = (steps, values, smoothed) if smoothed is not None else (steps, values)
            writer.writerows([label, name, *row] for row in zip(*columns, strict=True))
    return out.getvalue()


def _svg(
    charted: Sequence[tuple[Experiment, LiveData]], metric: str | None, title: str,
    view: ChartView,
) -> str:  # fmt: skip
    from rich.console import Console
    from rich.text import Text

    from tui.app.widgets.chart_grid import charts_for

    experiments = [experiment for experiment, _ in charted]
    data = {experiment.key: live for experiment, live in charted}
    charts = [c for c in charts_for(experiments, data, {}) if chart_matches(c.title, metric or "")]
    if not charts:
        raise BackendError("nothing to draw: no per-step metric matches" +
                           (f" {metric!r}" if metric else " (none logged)"))  # fmt: skip
    grid = grid_for(len(charts), PICTURE_WIDTH, 20 * max(1, (len(charts) + 1) // 2))
    console = Console(
        record=True, width=PICTURE_WIDTH, file=io.StringIO(), color_system="truecolor"
    )
    console.print(Text.from_ansi(render_page(charts, grid, replace(view, cursor=None))))
    return console.export_svg(title=title)


def export_charts(
    path: Path, charted: Sequence[tuple[Experiment, LiveData]], metric: str | None = None,
    view: ChartView = PLAIN,
) -> str:  # fmt: skip
    """Write the charts of `charted` (experiment, its DVCLive data) to `path`; `metric`: only
    the metrics that match (a glob or a substring, as the app's filter); `view`: the steps,
    axis and smoothing of the charts shown. A summary line."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BackendError(
            f"{path.name}: the format comes from the suffix, one of {', '.join(FORMATS)}"
        )
    if not path.parent.is_dir():
        raise BackendError(f"{path.parent} is not a folder: give a file in an existing folder")
    points = _points(charted, metric, view)
    if suffix in (".csv", ".json") and not points:
        which = f" matches {metric!r}" if metric else " is logged"
        where = f" in steps {view.steps}" if view.steps else ""
        raise BackendError(f"nothing to export: no per-step metric{which}{where}")
    labels = ", ".join(experiment.label for experiment, _ in charted)
    content: bytes
    if suffix == ".csv":
        content = _csv(points).encode()
    elif suffix == ".json":
        shaped = {label: {name: {"steps": steps, "values": values,
                                 **({"smoothed": smoothed} if smoothed is not None else {})}
                          for name, (steps, values, smoothed) in metrics.items()}
                  for label, metrics in points.items()}  # fmt: skip
        content = json.dumps(shaped, indent=1, allow_nan=True).encode()
    else:
        svg = _svg(charted, metric, f"catdog-tui: {labels}", view)
        if suffix == ".svg":
            content = svg.encode()
        else:
            try:
                import cairosvg  # type: ignore[import-not-found,import-untyped,unused-ignore]
            except (ImportError, OSError):
                raise BackendError(
                    "PNG needs cairosvg and the Cairo library (pip install cairosvg); "
                    "or export .svg, which any browser shows"
                ) from None
            content = cairosvg.svg2png(bytestring=svg.encode())
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackendError(f"cannot write {path}: {error.strerror or error}") from None
    count = sum(len(metrics) for metrics in points.values())
    return f"wrote {path} ({count} curves of {labels})"
