"""The rest of the keys, each against a real repository: w, s, a, o, *, c, l and 1-3; and demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Log, TabbedContent

from tests.app.test_app import SIZE, highlight, names, shown_input, wait_until
from tests.backend.repos import wait_for
from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import ConfirmScreen, PromptScreen
from tui.backend.formats import UnreadableFile, parse_yaml
from tui.backend.service import Backend

pytestmark = pytest.mark.slow


async def test_tabs_sort_star_and_columns(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: {"alpha", "beta"} <= set(names(app)))
        tabs = app.query_one(TabbedContent)
        for key, tab in (("2", "confusion"), ("3", "logs"), ("1", "plots"), ("l", "logs")):
            await pilot.press(key)
            assert tabs.active == tab
        await pilot.press("o")
        assert (app.view.sort_column, app.view.sort_descending) == ("Experiment", False)
        await pilot.press("o")
        assert app.view.sort_descending
        assert names(app).index("beta") < names(app).index("alpha")
        await pilot.press("j", "j", "asterisk")
        assert app.table.highlighted_key in app.view.starred
        columns_before = len(app.table.columns)
        await pilot.press("c")
        assert len(app.table.columns) > columns_before, "c shows the params that never differ"
        assert "score" in {str(key.value) for key in app.table.columns}
        await pilot.press("h")
        (await shown_input(pilot, app)).value = "score"
        await pilot.press("enter")
        assert "score" not in {str(key.value) for key in app.table.columns}


async def test_apply_asks_then_writes_the_experiments_params(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "alpha")
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")

        def applied() -> bool:
            # DVC rewrites the file in place: a read can catch it empty or half-written.
            try:
                params = parse_yaml((repo / "config" / "hparams.yaml").read_text())
            except (OSError, UnreadableFile):
                return False
            return isinstance(params, dict) and params.get("lr") == 0.2

        await wait_until(pilot, applied)


async def test_stop_and_logs_of_a_running_run(repo: Path, tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    backend = Backend.discover(repo)
    record = backend.start_run([f"config/hparams.yaml:hold={hold}"], name="held")
    wait_for(lambda: backend.runs.get(record.id).status == "running", what="the run to start")
    app = CatdogApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any(r.status == "running" for r in app.view.rows))
        running = next(r.key for r in app.view.visible() if r.status == "running")
        app.table.move_cursor(row=app.table.get_row_index(running))
        await wait_until(pilot, lambda: app.table.highlighted_key == running)
        assert app.table.highlighted is not None
        assert app.table.highlighted.status == "running", [(r.key, r.status) for r in app.view.rows]
        await pilot.press("3")
        log = app.query_one(Log)
        await wait_until(pilot, lambda: "Reproducing experiment 'held'" in "\n".join(log.lines))
        await pilot.press("s")
        await wait_until(pilot, lambda: backend.runs.get(record.id).finished)
    assert backend.runs.get(record.id).status == "stopped"
    hold.unlink()


async def test_workers_prompt_checks_its_number(repo: Path) -> None:
    run(["dvc", "exp", "run", "--queue", "-n", "later", "-S", "config/hparams.yaml:lr=0.4"], repo)
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "later" in names(app))
        await pilot.press("w")
        field = await shown_input(pilot, app)
        field.value = "0"
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen), "0 workers is refused"
        field.value = "1"
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(r.name == "later" and r.status == "success" for r in app.view.rows),
            timeout=120,
        )


def test_demo_makes_a_project_whose_first_run_trains(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    done = run(["catdog-tui", "demo", str(target), "--no-app"], tmp_path)
    assert "experiment started" in done.stdout
    backend = Backend.discover(target)
    record = backend.runs.all()[0]
    finished = backend.runs.wait(record.id, timeout=600)
    assert finished.status == "success", backend.runs.log_path(record.id).read_text()[-2000:]
    rows = {row.name: row for row in backend.experiments()}
    assert rows["first-look"].metrics["dvclive/metrics.json"]["best.eval.accuracy"] > 0.6
    again = run(["catdog-tui", "demo", str(target), "--no-app"], tmp_path, check=False)
    assert again.returncode == 2 and "is not empty" in again.stderr


async def test_every_binding_is_in_the_command_palette(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "alpha" in names(app))
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"Help (?")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
