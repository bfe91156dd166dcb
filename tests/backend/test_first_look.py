"""A first listing of many commits never read before: rows at once, values on the next."""

from __future__ import annotations

from pathlib import Path

from bench.fixtures import make_repo as make_many
from tui.backend.experiments import PENDING
from tui.backend.service import Backend


def test_rows_first_values_next_and_pending_values_never_stored(tmp_path: Path) -> None:
    root = make_many(tmp_path / "many", 30)
    backend = Backend.discover(root)
    first = backend.experiments(within_s=0)
    assert backend.values_pending >= 30
    assert {row.name for row in first if row.kind == "experiment"} >= {
        row.name for row in Backend.discover(root).experiments() if row.kind == "experiment"
    }, "every row is there, with or without values"
    assert all(row.params is PENDING.params for row in first if row.kind == "experiment")

    full = backend.experiments()
    assert backend.values_pending == 0
    assert all(row.params and row.metrics for row in full if row.kind == "experiment")

    again = Backend.discover(root)  # a new process: values come from the cache on disk
    assert [r.params for r in again.experiments(within_s=0)] == [r.params for r in full]
    assert again.values_pending == 0
