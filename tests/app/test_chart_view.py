"""The chart view's pure parts: step ranges typed in a prompt, TensorBoard's smoothing, the
points a log scale can draw, the cursor's places and values; and charts drawn with a view."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.app import charts as chart_module
from tui.app.chart_view import (
    ChartView,
    StepRange,
    moved,
    next_weight,
    parse_range,
    positions,
    positive,
    range_problem,
    shown_step,
    shown_value,
    smooth,
    snap,
    value_at,
    within,
)
from tui.app.charts import line_chart, readings, render_page
from tui.backend.steptable import Series

ANSI = re.compile(r"\x1b\[[0-9;]*m")
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
ends = st.one_of(st.none(), st.integers(0, 100))
weights = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.6, 0.9, 0.99])


def test_a_range_is_typed_as_from_colon_to() -> None:
    assert parse_range("10:50") == StepRange(10, 50)
    assert parse_range(" :20 ") == StepRange(None, 20)
    assert parse_range("30:") == StepRange(30, None)
    assert parse_range("0.1:0.5") == StepRange(0.1, 0.5), "a curve's x is a float"
    assert parse_range("") == StepRange() and not parse_range("  ")
    assert str(parse_range("10:50")) == "10:50" and str(parse_range("30:")) == "30:"
    assert 10 in parse_range("10:50") and 50 in parse_range("10:50")
    assert 51 not in parse_range("10:50") and 9 not in parse_range("10:50")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("10", "a range like 10:50, :20 or 30:"),
        ("1:2:3", "a range like 10:50"),
        ("a:5", "'a' is not a number"),
        ("5:nan", "'nan' is not a finite number"),
        ("50:10", "the start is after the end: 10:50"),
    ],
)
def test_a_bad_range_is_one_line_saying_what_to_type(typed: str, said: str) -> None:
    problem = range_problem(typed)
    assert problem is not None and said in problem and "\n" not in problem
    with pytest.raises(ValueError, match=re.escape(said)):
        parse_range(typed)
    assert range_problem("10:50") is None and range_problem("") is None


def test_smoothing_weight_goes_in_tenths_up_to_099() -> None:
    up = [0.0]
    for _ in range(12):
        up.append(next_weight(up[-1], 1))
    assert up[:11] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99]
    assert up[-1] == 0.99, "the top stays the top"
    assert next_weight(0.99, -1) == 0.9 and next_weight(0.1, -1) == 0.0
    assert next_weight(0.0, -1) == 0.0


def test_smoothing_is_tensorboards_debiased_ema() -> None:
    # TensorBoard: last = last * w + (1 - w) * v; smoothed = last / (1 - w ** n).
    assert smooth([1.0, 3.0], 0.5) == [1.0, pytest.approx((0.25 + 1.5) / 0.75)]
    with_nan = smooth([2.0, math.nan, 4.0], 0.5)
    assert math.isnan(with_nan[1]) and with_nan[2] == pytest.approx((0.5 + 2) / 0.75)
    assert smooth([], 0.6) == []


@settings(max_examples=200)
@given(st.lists(finite, max_size=40))
def test_weight_0_is_the_identity(values: list[float]) -> None:
    assert smooth(values, 0.0) == values


@settings(max_examples=200)
@given(finite, st.integers(min_value=1, max_value=40), weights)
def test_a_constant_series_stays_constant(value: float, count: int, weight: float) -> None:
    assert smooth([value] * count, weight) == [value] * count


@settings(max_examples=200)
@given(st.lists(finite, min_size=1, max_size=40), weights)
def test_smoothed_values_stay_within_the_raw_ones(values: list[float], weight: float) -> None:
    smoothed = smooth(values, weight)
    assert len(smoothed) == len(values)
    assert smoothed[0] == pytest.approx(values[0]), "debiased: the first point is itself"
    low, high = min(values), max(values)
    slack = 1e-9 * max(1.0, abs(low), abs(high))
    assert all(low - slack <= s <= high + slack for s in smoothed)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 100), finite), max_size=40), ends, ends)
def test_within_keeps_exactly_the_steps_in_range(
    points: list[tuple[int, float]], start: int | None, end: int | None
) -> None:
    steps, values = [s for s, _ in points], [v for _, v in points]
    kept_steps, kept_values = within(steps, values, StepRange(start, end))
    expected = [(s, v) for s, v in points
                if (start is None or s >= start) and (end is None or s <= end)]  # fmt: skip
    assert list(zip(kept_steps, kept_values, strict=True)) == expected


def test_a_log_scale_leaves_out_values_at_or_below_zero_and_counts_them() -> None:
    assert positive([0, 1, 2, 3], [-1.0, 0.0, 0.5, 2.0]) == ([2, 3], [0.5, 2.0], 2)
    assert positive([], []) == ([], [], 0)


def test_the_cursor_stands_on_logged_steps_and_reads_the_last_value_logged() -> None:
    places = positions([([0, 2, 4], [1.0, math.nan, 3.0]), ([1, 4], [5.0, 6.0])], StepRange())
    assert places == [0, 1, 4], "a NaN is no place to read"
    assert positions([([0, 2, 4], [1.0, 2.0, 3.0])], StepRange(1, 3)) == [2]
    assert snap(places, None) == 4, "first: the last step"
    assert snap(places, 3) == 4 and snap(places, 2) == 1 and snap([], 2) is None
    assert moved(places, 4, -1) == 1 and moved(places, 1, -5) == 0 and moved(places, 0, 9) == 4
    assert moved(places, 2.5, 1) == 4, "from where it snaps"
    assert value_at([0, 1, 1], [1.0, 2.0, 3.0], 1) == 3.0, "a resumed run's step: the last"
    assert value_at([0, 1], [1.0, 2.0], 7) is None
    assert shown_value(1 / 3) == "0.3333333333333333" and shown_value(2) == "2.0"
    assert shown_step(12) == "12" and shown_step(0.25) == "0.25"


def test_readings_give_each_curve_its_value_and_smoothed_value() -> None:
    loss = Series("loss", [0, 1, 2], [1.0, 3.0, 0.1])
    other = Series("loss", [0, 2], [2.0, 1 / 3])
    found = readings([("a", "cyan", loss), ("b", "orange", other)], 1)
    assert found == [("a", "cyan", 3.0, None), ("b", "orange", None, None)]
    smoothed = readings([("a", "cyan", loss)], 1, 0.5)
    assert smoothed[0][3] == pytest.approx(smooth([1.0, 3.0, 0.1], 0.5)[1])


def drawn(view: ChartView, values: list[float], width: int = 60) -> str:
    curve = ("a", "cyan", Series("loss", list(range(len(values))), values, len(values)))
    return line_chart("loss", [curve], width, 15, "step", view)


def test_a_chart_in_log_y_says_how_many_points_it_left_out() -> None:
    text = ANSI.sub("", drawn(ChartView(log_y=True), [-1.0, 0.0, 1.0, 10.0, 100.0]))
    assert "loss (log y: 2 points ≤ 0 left out)" in text
    assert "100" in text
    nothing = drawn(ChartView(log_y=True), [-1.0, 0.0])
    assert nothing == "loss: no points above 0 (log y)"
    outside = drawn(ChartView(StepRange(10, 20)), [1.0, 2.0])
    assert outside == "loss: no points in step 10:20"


def test_a_range_draws_only_its_steps() -> None:
    values = [float(v) for v in range(100)]
    text = ANSI.sub("", drawn(ChartView(StepRange(40, 60)), values))
    axis = text.splitlines()[-2]
    assert "40" in axis and "60" in axis and " 0 " not in axis and "99" not in axis


def test_smoothing_draws_the_raw_line_faint_behind_the_smoothed_one() -> None:
    values = [1.0, 5.0, 1.0, 5.0, 1.0, 5.0]
    plain = drawn(ChartView(), values)
    smoothed = drawn(ChartView(smoothing=0.6), values)
    assert "\x1b[2m" not in plain
    assert "\x1b[2m" in smoothed, "the raw line is dim"
    assert ANSI.sub("", smoothed).count("⢕⢕ a") == 1, "one legend entry per curve"


def test_the_cursor_chart_has_a_line_and_a_mark_and_the_view_is_in_the_memo_key() -> None:
    chart_module._DRAWN.clear()
    values = [1.0, 2.0, 3.0]
    plain = drawn(ChartView(), values)
    cursor = drawn(ChartView(cursor=1), values)
    assert "▸ loss" in ANSI.sub("", cursor) and "▸" not in plain
    assert cursor != drawn(ChartView(cursor=2), values), "the line moves with the cursor"
    views = [ChartView(), ChartView(log_y=True), ChartView(smoothing=0.5),
             ChartView(StepRange(1, 2)), ChartView(cursor=1)]  # fmt: skip
    assert len({drawn(view, values) for view in views}) == len(views)
    assert drawn(ChartView(), values) == plain, "the same view: the same drawing"
    assert len(chart_module._DRAWN) == len(views) + 1


def test_on_a_page_only_the_cursor_chart_has_the_cursor() -> None:
    from tui.app.charts import Chart, grid_for

    loss = ("a", "cyan", Series("loss", [0, 1], [1.0, 0.5], 2))
    acc = ("a", "cyan", Series("acc", [0, 1], [0.1, 0.9], 2))
    page = render_page([Chart("loss", (loss,)), Chart("acc", (acc,))], grid_for(2, 120, 15),
                       ChartView(), (1, 1))  # fmt: skip
    first_line = ANSI.sub("", page).splitlines()[0]
    assert "▸ acc" in first_line and "▸ loss" not in first_line
