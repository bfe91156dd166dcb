"""The chart grid's pure parts: how charts fill a panel, the metric filter, a page drawn side
by side, one-point axes, and charts drawn again only when their curves change."""

from __future__ import annotations

import re

from tui.app import charts as chart_module
from tui.app.charts import Chart, chart_matches, grid_for, line_chart, render_page
from tui.app.widgets.chart_grid import charts_for
from tui.backend.experiments import Experiment
from tui.backend.plotdata import LiveData
from tui.backend.steptable import Series

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def series(name: str, values: list[float]) -> Series:
    return Series(name, list(range(len(values))), values, len(values))


def test_grid_fits_the_panel_and_pages_the_rest() -> None:
    small = grid_for(8, 80, 22)
    assert small.columns == 2 and small.rows == 2 and small.per_page == 4
    assert small.width >= 38 and small.height >= 10
    large = grid_for(8, 240, 60)
    assert (large.columns, large.rows) == (4, 2), "a large terminal shows all 8 at once"
    one = grid_for(1, 120, 30)
    assert (one.columns, one.rows) == (1, 1) and one.width > 100, "one chart takes the panel"


def test_metric_filter_globs_and_substrings() -> None:
    assert chart_matches("train/val_loss", "loss")
    assert chart_matches("train/val_loss", "*VAL*")
    assert not chart_matches("train/accuracy", "loss")
    assert chart_matches("eval/accuracy", "eval/*")
    assert not chart_matches("train/eval", "eval/*")
    assert chart_matches("anything", "")


def test_one_point_has_an_axis_around_its_step() -> None:
    drawn = ANSI.sub("", line_chart("acc", [("a", "cyan", Series("acc", [7], [0.5], 1))], 40, 10))
    assert "-1" not in drawn and "7" in drawn


def test_a_page_puts_charts_side_by_side_within_their_widths() -> None:
    grid = grid_for(2, 100, 12)
    page = render_page(
        [Chart("loss", (("a", "cyan", series("loss", [3, 2, 1])),)),
         Chart("acc", (("a", "cyan", series("acc", [0.1, 0.5, 0.9])),))],
        grid,
    )  # fmt: skip
    lines = [ANSI.sub("", line) for line in page.split("\n")]
    assert len(lines) == grid.height
    assert "loss" in lines[0] and "acc" in lines[0]
    assert max(len(line) for line in lines) <= 2 * (grid.width + 1)


def test_a_chart_is_drawn_again_only_when_its_curves_change(monkeypatch: object) -> None:
    calls: list[str] = []
    real = chart_module._line_chart

    def counting(title: str, *args: object) -> str:
        calls.append(title)
        return real(title, *args)  # type: ignore[arg-type]

    chart_module._DRAWN.clear()
    monkeypatch.setattr(chart_module, "_line_chart", counting)  # type: ignore[attr-defined]
    loss = series("loss", [3, 2, 1])
    first = line_chart("loss", [("a", "cyan", loss)], 40, 10)
    assert line_chart("loss", [("a", "cyan", series("loss", [3, 2, 1]))], 40, 10) == first
    assert calls == ["loss"]
    loss.steps.append(3)
    loss.values.append(0.5)
    loss.logged += 1
    assert line_chart("loss", [("a", "cyan", loss)], 40, 10) != first, "a new point"
    line_chart("loss", [("a", "orange", loss)], 40, 10)
    line_chart("loss", [("a", "orange", loss)], 60, 10)
    assert len(calls) == 4, "a new colour or size draws again"


def test_charts_follow_the_metrics_that_exist() -> None:
    rows = [Experiment(kind="experiment", name=n, rev=n * 40, baseline="b" * 40,
                       status="success", created=None) for n in "ab"]  # fmt: skip
    data = {
        rows[0].key: LiveData(series={"loss": series("loss", [1, 0.5]),
                                      "val_loss": series("val_loss", [1.2, 0.7])}),
        rows[1].key: LiveData(series={"loss": series("loss", [2, 1])}, empty={"accuracy"}),
    }  # fmt: skip
    charts = charts_for(rows, data, {rows[1].key: 3})
    by_title = {chart.title: chart for chart in charts}
    assert set(by_title) == {"loss", "val_loss", "accuracy"}
    assert [label for label, _, _ in by_title["loss"].curves] == ["a", "b"]
    assert by_title["loss"].curves[1][1] == chart_module.colour_for(3), "b keeps its colour"
    assert by_title["accuracy"].curves == (), "a metric without points is a placeholder"


def test_curves_overlay_experiments_with_the_area_under_each() -> None:
    from tui.app.charts import area_under
    from tui.app.widgets.chart_grid import curve_charts_for
    from tui.backend.plotdata import Curve

    assert area_under([0, 1], [0, 1]) == 0.5
    assert area_under([1, 0, 0.5], [1, 0, 1]) == 0.75, "points are taken in x order"
    assert area_under([0], [1]) is None
    rows = [Experiment(kind="experiment", name=n, rev=n * 40, baseline="b" * 40,
                       status="success", created=None) for n in "ab"]  # fmt: skip
    roc = "dvclive/plots/sklearn/roc/train.json"
    data = {
        rows[0].key: LiveData(curves={roc: Curve(roc, "ROC", "fpr", "tpr", [0, 0, 1], [0, 1, 1])}),
        rows[1].key: LiveData(curves={roc: Curve(roc, "ROC", "fpr", "tpr", [0, 1], [0, 1])}),
    }
    (chart,) = curve_charts_for(rows, data, {})
    assert chart.title == "ROC: tpr" and chart.x_label == "fpr"
    assert [label for label, _, _ in chart.curves] == ["a (area 1.000)", "b (area 0.500)"]
    drawn = ANSI.sub("", render_page([chart], grid_for(1, 80, 20)))
    assert "fpr" in drawn and "a (area 1.000)" in drawn
