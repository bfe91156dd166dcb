"""The app while a run goes: steady (cells update, the table and the log are not rebuilt), a
failed run stays visible with its reason and its params put back, and `d` acts on the obvious
target. Real runs (`dvc exp run` of a stage that needs no TensorFlow), stopped however a test
ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.app.test_app import SIZE, highlight, wait_until
from tests.backend.repos import stop_runs
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import ConfirmScreen
from tui.backend.service import Backend

pytestmark = pytest.mark.slow
PARAMS = "config/hparams.yaml"


@pytest.fixture
def held(tmp_path: Path, repo: Path) -> Iterator[Path]:
    """A file that holds the stage while it exists; removed, and runs stopped, at the end."""
    hold = tmp_path / "hold"
    hold.touch()
    yield hold
    hold.unlink(missing_ok=True)
    stop_runs(repo)


async def test_a_run_writing_updates_cells_not_the_table_nor_the_log(
    repo: Path, held: Path
) -> None:
    backend = Backend.discover(repo)
    record = backend.start_run([f"{PARAMS}:hold={held}"], name="steady")
    log = backend.runs.log_path(record.id)
    app = CatdogApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any(r.status == "running" for r in app.view.rows))
        await highlight(pilot, app, "steady")
        await pilot.press("3")
        panel = app.log_panel
        await wait_until(pilot, lambda: "Reproducing experiment 'steady'" in "\n".join(panel.lines))
        # Until DVC lists the run, our record stands for it; DVC's row brings the run's params
        # (a new column): a legitimate rebuild, before the steady state this test is about.
        await wait_until(
            pilot,
            lambda: any(
                r.label == "steady" and r.run_id is None and r.status == "running"
                for r in app.view.rows
            ),
        )
        await wait_until(pilot, lambda: app.idle)
        rebuilds, first_line = app.table.rebuilds, panel.lines[0]
        cursor, scroll = app.table.cursor_row, app.table.scroll_offset

        def highlighted_status() -> str:
            key = app.table.highlighted_key
            assert key is not None, "no row highlighted"
            return str(app.table.get_cell(key, "status"))

        def logged(line: str) -> Callable[[], bool]:
            return lambda: line in "\n".join(panel.lines)

        status_before = highlighted_status()
        for step in range(5):
            with log.open("a") as handle:  # as the run does: its output appended
                handle.write(f"epoch {step} done\n")
            await wait_until(pilot, logged(f"epoch {step} done"))
        await wait_until(pilot, lambda: app.idle)
        assert app.table.rebuilds == rebuilds, "the table was laid out anew"
        assert panel.lines[0] == first_line, "the log was cleared and read again"
        assert (app.table.cursor_row, app.table.scroll_offset) == (cursor, scroll)
        # the spinner moves in the status cell alone
        await wait_until(pilot, lambda: highlighted_status() != status_before)
        assert app.table.rebuilds == rebuilds


async def test_a_failed_run_stays_with_its_reason_and_its_params_put_back(repo: Path) -> None:
    backend = Backend.discover(repo)
    before = (repo / PARAMS).read_text()
    app = CatdogApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.listings > 0)
        record = backend.start_run([f"{PARAMS}:lr=-1"], name="doomed")
        await wait_until(pilot, lambda: backend.runs.get(record.id).finished, timeout=120)
        await wait_until(
            pilot, lambda: any(r.name == "doomed" and r.status == "failed" for r in app.view.rows)
        )
        assert (repo / PARAMS).read_text() == before, "the overrides were put back"
        await highlight(pilot, app, "doomed")
        await pilot.press("3")
        await wait_until(pilot, lambda: "lr must be positive" in "\n".join(app.log_panel.lines))
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "doomed" in app.screen.question
        await pilot.press("y")
        await wait_until(pilot, lambda: "doomed" not in [r.name for r in app.view.rows])


async def test_remove_targets_the_highlighted_row_unless_it_is_selected(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: {"alpha", "beta"} <= {r.name for r in app.view.rows})
        order = [r.name for r in app.view.visible() if r.name in ("alpha", "beta")]
        first, second = order
        await highlight(pilot, app, first)
        await pilot.press("space")
        await highlight(pilot, app, second)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert second in app.screen.question and first not in app.screen.question
        await pilot.press("n")
        await pilot.press("space")  # now both are selected, the highlighted one too
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 selected" in app.screen.question
        await pilot.press("n")


async def test_a_finished_run_is_announced(repo: Path, held: Path) -> None:
    backend = Backend.discover(repo)
    record = backend.start_run([f"{PARAMS}:hold={held}"], name="announced")
    app = CatdogApp(backend, show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any(r.label == "announced" and r.status == "running"
                                            for r in app.view.rows))  # fmt: skip
        held.unlink()
        await wait_until(pilot, lambda: backend.runs.get(record.id).finished, timeout=120)
        await wait_until(
            pilot,
            lambda: any("announced finished" in note.message for note in app._notifications),
        )
