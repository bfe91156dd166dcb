"""The time a run has left, in its status cell: a real run of a DVCLive loop that times its
steps (TIMED), held in progress while the test looks, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.app.test_app import SIZE, wait_until
from tests.backend.repos import held_timed_repo
from tui.app.app import CatdogApp
from tui.backend.service import Backend
from tui.display import status_text

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
        now = [0.0]
        app.table.clock = lambda: now[0]

        def listed() -> list[str]:
            """Keys of DVC's row of the run once it has logged its steps and waits (not our
            record's row, which stands for it at first)."""
            return [
                r.key
                for r in app.view.rows
                if r.label == "timed" and r.status == "running" and r.run_id is None
                and r.eta_at is not None and "epoch 3/5" in status_text(r, 0.0)
            ]  # fmt: skip

        await wait_until(pilot, lambda: bool(listed()))
        (key,) = listed()
        row = app.table.rows_by_key[key]
        (summary,) = root.glob("**/dvclive/metrics.json")
        logged = summary.stat().st_mtime
        assert row.eta_at == logged + 120.0, "two steps of 60 s after the last one"

        def status() -> str:
            return str(app.table.get_cell(key, "status")) if key in app.table.rows_by_key else ""

        def shows(text: str) -> Callable[[], bool]:
            return lambda: text in status()

        # Nothing is written while the run is held: the spinner's tick counts the time down.
        rebuilds = app.table.rebuilds
        for seconds, shown in ((0.0, "~2:00 left"), (1.0, "~1:59 left"), (75.0, "~0:45 left"),
                               (121.0, "overdue")):  # fmt: skip
            now[0] = logged + seconds
            await wait_until(pilot, shows(f"running epoch 3/5 {shown}"))
            assert not status().endswith("…")
        assert app.table.rows_by_key[key] is row, "no new listing: the same row"
        assert app.table.rebuilds == rebuilds
