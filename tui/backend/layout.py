"""Which charts the per-step series make: one group per metric, validation above training.

A series name is `[source:]path`, where `source` (the DVCLive folder, or a plot file outside
one) is there only when a revision has several, and `path` is the metric's name as logged:
`train/loss`, `eval/accuracy`, or Keras' flat `loss`, `val_loss`. The last part of the path
is the metric, what precedes it the split (`train`, `eval`, `''`); Keras' `val_` prefix is a
split too, so `val_loss` pairs with `loss` as `eval/loss` does with `train/loss`.

The choice: training and validation curves of one metric are two charts of one group, the
validation one above, not two curves of one chart. In a chart each charted experiment has its
colour; a second curve per experiment would need a second style that a terminal chart cannot
show legibly. A group is one column of the app's grid, so the same metric lines up across
experiments and splits. Only names that exist make charts; a name that exists with no points
yet makes a chart flagged `empty`, for a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

VALIDATION_SPLITS = ("eval", "val", "validation", "valid", "test")
TRAINING_SPLITS = ("train", "training", "")
_FLAT_PREFIXES = (
    ("val_", "val"), ("validation_", "validation"), ("eval_", "eval"), ("test_", "test"),
    ("train_", "train"),
)  # fmt: skip


@dataclass(frozen=True)
class SeriesName:
    """A series name taken apart."""

    source: str
    """The DVCLive folder or file it comes from, when the name says (else '')."""
    split: str
    """`train`, `eval`, `val` (Keras' `val_`), '' for a bare metric, or a longer path."""
    metric: str


def parse_series_name(name: str) -> SeriesName:
    """`dvclive:eval/loss` -> (dvclive, eval, loss); `val_accuracy` -> ('', val, accuracy)."""
    source, _, path = name.partition(":") if ":" in name else ("", "", name)
    split, _, metric = path.rpartition("/")
    for prefix, flat_split in _FLAT_PREFIXES:
        if metric.startswith(prefix) and len(metric) > len(prefix):
            metric = metric[len(prefix) :]
            split = f"{split}/{flat_split}" if split else flat_split
            break
    return SeriesName(source, split, metric)


SYSTEM_PREFIX = "system/"
"""Where DVCLive's system monitor logs (`system/cpu/usage (%)`, `system/gpu/usage (%)/0`)."""


def is_system(name: str) -> bool:
    """Whether a series is one of DVCLive's system metrics (the System tab's, not Plots')."""
    path = name.partition(":")[2] if ":" in name else name
    return path.startswith(SYSTEM_PREFIX)


def split_rank(split: str) -> tuple[int, str]:
    """Validation splits first (drawn on top), then training, then any other."""
    last = split.rpartition("/")[2]
    if last in VALIDATION_SPLITS:
        return 0, split
    return (1, split) if last in TRAINING_SPLITS else (2, split)


@dataclass(frozen=True)
class Chart:
    """One chart: one series name, drawn for every charted experiment that has it."""

    series: str
    """The key in `LiveData.series` (or `LiveData.empty`)."""
    split: str
    empty: bool
    """The metric exists but has no point yet: show a placeholder."""


@dataclass(frozen=True)
class ChartGroup:
    """The charts of one metric: validation above training, then any other split."""

    source: str
    metric: str
    charts: tuple[Chart, ...]

    @property
    def title(self) -> str:
        """`loss`, or `dvclive_eval: loss` when several sources are charted."""
        return f"{self.source}: {self.metric}" if self.source else self.metric


def group_charts(names: Iterable[str], empty: Iterable[str] = ()) -> list[ChartGroup]:
    """The chart groups of these series names (with points) and `empty` ones (without yet),
    ordered by source then metric; a name in both counts as having points."""
    with_points = set(names)
    waiting = set(empty) - with_points
    groups: dict[tuple[str, str], list[Chart]] = {}
    for name in with_points | waiting:
        parsed = parse_series_name(name)
        groups.setdefault((parsed.source, parsed.metric), []).append(
            Chart(name, parsed.split, name in waiting)
        )
    return [
        ChartGroup(source, metric, tuple(sorted(charts, key=lambda c: split_rank(c.split))))
        for (source, metric), charts in sorted(groups.items())
    ]
