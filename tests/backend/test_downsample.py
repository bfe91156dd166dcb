"""Downsampling while streaming: bounded, exact while short, the shape kept; big tables fast."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.backend.downsample import MAX_POINTS, Downsampler
from tui.backend.history import parse_tsv
from tui.backend.live import TsvTail
from tui.backend.steptable import StepTable

values_strategy = st.lists(
    st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=400
)


@settings(max_examples=80, deadline=None)
@given(
    values=values_strategy,
    limit=st.integers(4, 40),
    chunks=st.lists(st.integers(1, 150), min_size=1, max_size=10),
)
def test_downsampler_keeps_the_bound_the_ends_and_the_extremes(
    values: list[float], limit: int, chunks: list[int]
) -> None:
    sampler = Downsampler(limit)
    position, turn = 0, 0
    while position < len(values):
        size = chunks[turn % len(chunks)]
        piece = values[position : position + size]
        if turn % 2:
            piece_steps = np.arange(position, position + len(piece), dtype=np.float64)
            sampler.extend(piece_steps, np.array(piece, dtype=np.float64))
        else:
            for offset, value in enumerate(piece):
                sampler.append(position + offset, value)
        position += len(piece)
        turn += 1
    steps, kept = sampler.points()
    assert sampler.count == len(values)
    assert len(steps) <= limit
    assert steps == sorted(steps), "logging order"
    assert steps[0] == 0 and steps[-1] == len(values) - 1
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        assert min(finite) in kept and max(finite) in kept
    if len(values) <= limit:
        assert steps == list(range(len(values)))
        assert [repr(v) for v in kept] == [repr(float(np.float64(v))) for v in values]


def tsv_rows(values: list[float], start: int = 0) -> str:
    return "".join(f"{1700000000000 + i}\t{i}\t{v!r}\n" for i, v in enumerate(values, start))


def wavy(count: int) -> list[float]:
    values = [math.sin(i / 500) + i / count for i in range(count)]
    values[count // 3] = -50.0  # one-row spikes that a naive stride would drop
    values[2 * count // 3 + 1] = 75.0
    return values


def assert_shape_kept(steps: list[int], kept: list[float], values: list[float]) -> None:
    assert len(steps) <= MAX_POINTS
    assert (steps[0], kept[0]) == (0, values[0])
    assert (steps[-1], kept[-1]) == (len(values) - 1, values[-1])
    assert kept[steps.index(len(values) // 3)] == -50.0
    assert kept[steps.index(2 * len(values) // 3 + 1)] == 75.0
    assert min(kept) == min(values) and max(kept) == max(values)
    assert steps == sorted(steps)


def test_a_large_committed_tsv_is_downsampled_with_its_shape(tmp_path: Path) -> None:
    values = wavy(120_000)
    text = "timestamp\tstep\tloss\n" + tsv_rows(values)
    assert len(text) > 3_000_000
    series = parse_tsv("loss", text)  # how fast: bench/big_tsv.py (no test asserts a time)
    assert series.logged == len(values)
    assert_shape_kept(series.steps, series.values, values)


def test_a_large_live_tsv_is_downsampled_as_it_grows(tmp_path: Path) -> None:
    values = wavy(90_000)
    path = tmp_path / "loss.tsv"
    tail = TsvTail(path, "loss")
    rows = tsv_rows(values).encode()
    with path.open("wb") as handle:
        handle.write(b"timestamp\tstep\tloss\n")
        # Appends cut mid-line: each poll reads only what is new, and only whole lines.
        written = 0
        for cut in [*range(700_001, len(rows), 700_001), len(rows)]:
            handle.write(rows[written:cut])
            handle.flush()
            written = cut
            tail.poll()
    series = tail.series
    assert series.logged == len(values)
    assert_shape_kept(series.steps, series.values, values)


def test_fast_and_row_by_row_parsing_agree_whatever_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = wavy(20_000)
    good = "step\tacc\n" + "".join(f"{i}\t{v!r}\n" for i, v in enumerate(values))
    # A malformed row, an empty cell, a blank line and a non-integer step in the middle.
    middle = good.index("\n", len(good) // 2) + 1
    mixed = good[:middle] + "oops\n5\t\n\n1.5\t2\n" + good[middle:]
    fast_parses: list[bool] = []
    parse_fast = StepTable._parse_fast

    def spy(self: StepTable, piece: bytes) -> object:
        result = parse_fast(self, piece)
        fast_parses.append(result is not None)
        return result

    monkeypatch.setattr(StepTable, "_parse_fast", spy)
    for text, fast_path in ((good, True), (mixed, False)):
        whole, by_line = StepTable(), StepTable()
        fast_parses.clear()
        whole.feed(text.encode())
        assert fast_parses == [fast_path]
        for line in text.splitlines(keepends=True):
            by_line.feed(line.encode())  # small pieces: always row by row
        assert whole.points("acc") == by_line.points("acc")
        assert whole.series("acc", "acc").logged == len(values)


@pytest.mark.parametrize(
    "text",
    [
        "step\n0\n1\n",
        "timestamp\tstep\n1700000000000\t0\n",
        "",
        "\n\n",
        "step\tacc\n",
        "no header at all",
        "\x00\xff\tbinary\n\x01\n",
        "step\tacc\n0\tnan\n1\tinf\nx\ty\n",
    ],
)
def test_a_tsv_without_values_yields_no_points_never_an_error(text: str) -> None:
    series = parse_tsv("acc", text)
    finite = [v for v in series.values if math.isfinite(v)]
    assert finite == []
    table = StepTable()
    table.feed(text.encode())
    if text.startswith(("step\n", "timestamp\tstep\n")):
        assert table.fields == [], "no value column: no series at all"
