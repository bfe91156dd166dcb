"""The Custom tab: a metric against a param, one point per experiment. Its pure parts (which
experiments make points, what is left out, the highlighted one, the default axes, the
drawing), then the tab driven by keys on a real repository, the choice kept between sessions."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from tests.app.test_app import SIZE, highlight, wait_until
from tui.app import charts as chart_module
from tui.app.app import CatdogApp
from tui.app.charts import Dots, colour_for, scatter_chart
from tui.app.custom_points import (
    HIGHLIGHT,
    POINT,
    chosen_axes,
    custom_scatter,
    dots,
    headline,
    left_out_line,
    scatter_points,
)
from tui.app.screens.column_picker import ColumnPicker, column_matches
from tui.app.table_state import TableView
from tui.backend.experiments import Experiment
from tui.backend.service import Backend
from tui.backend.viewsettings import read_settings, write_settings

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BASE = "b" * 40


def row(name: str | None, rev: str, *, kind: str = "experiment", status: str = "success",
        lr: Any = 0.1, acc: Any = 0.5, optimizer: str = "adam") -> Experiment:  # fmt: skip
    metrics = {"metrics.json": {"acc": acc}} if acc is not None else {}
    return Experiment(
        kind=kind,  # type: ignore[arg-type]
        name=name,
        rev=rev,
        baseline=BASE,
        status=status,  # type: ignore[arg-type]
        created=None,
        params={"params.yaml": {"lr": lr, "optimizer": optimizer, "epochs": 3}},
        metrics=metrics,
    )


def listing() -> list[Experiment]:
    return [
        row(None, "w" * 40, kind="workspace", status="workspace", lr=0.4, acc=0.1),
        row(None, BASE, kind="baseline", lr=0.1, acc=None),
        row("alpha", "a" * 40, lr=0.2, acc=0.9, optimizer="sgd"),
        row("beta", "c" * 40, lr=0.3, acc=0.7),
        row("gamma", "d" * 40, lr="high", acc=0.6),
        row("delta", "e" * 40, lr=0.5, acc=math.nan),
        row("flag", "f" * 40, lr=True, acc=0.8),
        row("far", "9" * 40, status="remote", lr=0.6, acc=0.5),
    ]


def test_a_point_per_experiment_with_numbers_and_what_was_left_out() -> None:
    rows = listing()
    by_name = {r.name: r for r in rows}
    scatter = scatter_points(rows, "lr", "acc", {by_name["alpha"].key: 2})
    assert [(p.label, p.x, p.y) for p in scatter.points] == [("alpha", 0.2, 0.9),
                                                             ("beta", 0.3, 0.7)]  # fmt: skip
    assert scatter.considered == 6, "the workspace and the remote's rows are not experiments"
    assert scatter.left_out == 4
    # gamma: a string; flag: a boolean; the baseline: no metric; delta: NaN.
    assert scatter.missing == (("lr", 2), ("acc", 2))
    assert scatter.by_key[by_name["beta"].key].label == "beta"
    assert scatter.points[0].colour == colour_for(2), "a selected one in its chart colour"
    assert scatter.points[1].colour is None
    assert left_out_line(scatter) == (
        "2 of 6 experiments plotted; 2 experiments without a number for lr; "
        "2 experiments without a number for acc"
    )
    assert "◆ beta: lr=0.3 acc=0.7" in headline(scatter, by_name["beta"])
    assert "gamma: not plotted" in headline(scatter, by_name["gamma"]), "a string for lr"
    assert headline(scatter, rows[0]) == "acc against lr", "the workspace is no point"
    same = scatter_points(rows, "optimizer", "optimizer", {})
    assert same.points == () and same.missing == (("optimizer", 6),), "counted once"
    assert (
        left_out_line(same)
        == "0 of 6 experiments plotted; 6 experiments without a number for optimizer"
    )


def test_the_highlighted_point_is_drawn_last_with_its_own_marker() -> None:
    rows = listing()
    by_name = {r.name: r for r in rows}
    scatter = scatter_points(rows, "lr", "acc", {by_name["alpha"].key: 1})
    drawn = dots(scatter, scatter.by_key[by_name["alpha"].key])
    assert drawn[-1] == Dots(colour_for(1), HIGHLIGHT, (0.2,), (0.9,))
    assert drawn[:-1] == [Dots("default", POINT, (0.3,), (0.7,))]


def test_default_axes_are_the_first_metric_and_the_first_param_that_varies() -> None:
    view = TableView()
    view.set_rows(listing())
    rows = view.visible()
    # `epochs` never varies; `lr` is the first varying param with a number.
    assert chosen_axes(view, rows) == ("lr", "acc")
    view.custom_y = "epochs"
    assert chosen_axes(view, rows) == ("lr", "epochs"), "a choice wins over the default"
    nothing = TableView()
    nothing.set_rows([row(None, BASE, kind="baseline", lr="x", acc=None)])
    assert custom_scatter(nothing, nothing.visible()) is None


def test_the_axes_are_kept_in_the_view_settings(tmp_path: Path) -> None:
    view = TableView(custom_x="train.learning_rate", custom_y="eval.accuracy")
    write_settings(tmp_path, view.settings())
    again = TableView()
    again.apply_settings(read_settings(tmp_path))
    assert (again.custom_x, again.custom_y) == ("train.learning_rate", "eval.accuracy")


def test_the_picker_narrows_by_every_word() -> None:
    assert column_matches("train.learning_rate", "learn TRAIN")
    assert not column_matches("train.learning_rate", "eval")
    assert column_matches("anything", "")


def test_the_scatter_chart_names_its_axes_and_the_highlighted_point() -> None:
    chart_module._DRAWN.clear()
    points = [Dots("default", POINT, (0.1, 0.2), (0.5, 0.7)),
              Dots("cyan", HIGHLIGHT, (0.3,), (0.6,))]  # fmt: skip
    drawn = ANSI.sub("", scatter_chart("lr", "acc", points, 60, 12, ("beta", 0.3, 0.6)))
    assert "lr" in drawn and "acc" in drawn
    assert re.search(r"beta\s+◆|◆\s+beta", drawn), "the name beside its point"
    assert drawn.count(POINT) == 2
    decades = [Dots("default", POINT, (0.0003, 0.5), (1, 2))]
    spread = ANSI.sub("", scatter_chart("lr", "acc", decades, 60, 12))
    assert "lr (log)" in spread, "a param over decades is on a log axis"


def test_the_scatter_chart_is_drawn_again_only_when_its_points_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = chart_module._scatter_chart

    def counting(x_label: str, *args: Any) -> str:
        calls.append(x_label)
        return real(x_label, *args)

    chart_module._DRAWN.clear()
    monkeypatch.setattr(chart_module, "_scatter_chart", counting)
    points = [Dots("default", POINT, (0.1, 0.2), (0.5, 0.7))]
    first = scatter_chart("lr", "acc", points, 60, 12)
    assert (
        scatter_chart("lr", "acc", [Dots("default", POINT, (0.1, 0.2), (0.5, 0.7))], 60, 12)
        == first
    )
    assert calls == ["lr"]
    scatter_chart("lr", "acc", [Dots("default", POINT, (0.1, 0.2), (0.5, 0.8))], 60, 12)
    assert len(calls) == 2, "a point moved"


def _marker(app: CatdogApp) -> tuple[int, int]:
    """Where the highlighted experiment's marker is in the chart (line, column)."""
    lines = app.custom_plot.plain.split("\n")
    return next((i, line.index(HIGHLIGHT)) for i, line in enumerate(lines) if HIGHLIGHT in line)


async def _pick(pilot: Any, app: CatdogApp, key: str, typed: str) -> None:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, ColumnPicker)
                     and app.screen.query_one(Input).has_focus)  # fmt: skip
    await pilot.press(*typed)
    await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, ColumnPicker))


@pytest.mark.slow
async def test_axes_picked_by_keys_follow_the_highlight_and_come_back(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "alpha")
        await pilot.press("8")
        await _pick(pilot, app, "X", "lr")
        await _pick(pilot, app, "Y", "score")
        plot = app.custom_plot
        await wait_until(pilot, lambda: plot.settled and plot.scatter is not None
                         and (plot.scatter.x, plot.scatter.y) == ("lr", "score"))  # fmt: skip
        assert "lr" in plot.plain and "score" in plot.plain
        assert "alpha" in plot.plain, "the highlighted one is named on the chart"
        at_alpha = _marker(app)
        # The baseline was never run here: no score.
        assert "2 of 3 experiments plotted; 1 experiment without a number for score" in str(
            app.main.query_one("#custom-under").render()
        )
        await highlight(pilot, app, "beta")
        await wait_until(pilot, lambda: plot.settled and "beta" in plot.plain)
        assert _marker(app) != at_alpha, "the mark moved with the highlight"
        await pilot.press("X")
        await wait_until(pilot, lambda: isinstance(app.screen, ColumnPicker))
        listed = app.screen.query_one(OptionList)
        assert listed.highlighted_option is not None and listed.highlighted_option.id == "lr"
        first = listed.get_option_at_index(0).id
        assert first in app.view.value_columns()[1], "params first for the x axis"
        await pilot.press("down", "escape")
        assert app.view.custom_x == "lr", "escape keeps the choice"
        await wait_until(pilot, lambda: app.idle)
    again = CatdogApp(Backend.discover(repo), show_machine=False)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(again.view.rows) and again.idle)
        assert (again.view.custom_x, again.view.custom_y) == ("lr", "score")
        await pilot.press("8")
        plot = again.custom_plot
        await wait_until(pilot, lambda: plot.settled and plot.scatter is not None)
        assert "lr" in plot.plain and "score" in plot.plain
