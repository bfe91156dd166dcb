"""The time a run has left, in its status cell: a real run of a DVCLive loop that times its
steps (TIMED), held in progress while the test looks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_app import SIZE, wait_until
from tests.backend.repos import held_timed_repo
from tui.app.app import CatdogApp
from tui.backend.service import Backend

pytestmark = pytest.mark.slow


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A repository of TIMED and the file that holds its run (see `held_timed_repo`)."""
    with held_timed_repo(tmp_path) as made:
        yield made


async def test_a_running_row_shows_its_epoch_and_time_left(timed: tuple[Path, Path]) -> None:
    root, hold = timed
    backend = Backend.discover(root)
    backend.start_run([f"train.hold={hold}"], name="timed")
    app = CatdogApp(backend, show_machine=False)
    async with app.run_test(size=SIZE) as pilot:

        def listed() -> list[str]:
            """Keys of DVC's row of the run (not our record's, which stands for it at first)."""
            return [
                r.key
                for r in app.view.rows
                if r.label == "timed" and r.status == "running" and r.run_id is None
            ]

        await wait_until(pilot, lambda: bool(listed()))
        (key,) = listed()

        def status() -> str:
            return str(app.table.get_cell(key, "status")) if key in app.table.rows_by_key else ""

        await wait_until(pilot, lambda: "running epoch 3/5 ~2:00 left" in status())
        assert not status().endswith("…")
        row = app.table.rows_by_key[key]
        assert row.eta_s == 120.0
