"""The app driven by Textual's Pilot against real git + DVC repositories."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label

from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import ConfirmScreen, PromptScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.params_form import ParamsForm
from tui.app.widgets.panels import DiffPanel
from tui.backend.service import Backend

pytestmark = pytest.mark.slow
SIZE = (120, 40)


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 60
) -> None:
    """Let workers and timers run until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting in the app")
        await pilot.pause(0.05)


async def highlight(pilot: Pilot[None], app: CatdogApp, label: str) -> None:
    """Move the cursor down to the experiment called `label`."""
    await wait_until(pilot, lambda: label in names(app))
    # Straight to it: pressing j while a listing redraws the table can pass it by.
    key = next(key for key, row in app.table.rows_by_key.items() if row.label == label)
    app.table.move_cursor(row=app.table.get_row_index(key))
    await wait_until(
        pilot, lambda: app.table.highlighted is not None and app.table.highlighted.label == label
    )


async def shown_input(pilot: Pilot[None], app: CatdogApp) -> Input:
    """The field of the prompt just opened, once it is composed (a loaded machine can take a
    few frames)."""
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen)
                     and bool(app.screen.query(Input)))  # fmt: skip
    return app.screen.query_one(Input)


def names(app: CatdogApp) -> list[str]:
    return [row.label for row in app.table.rows_by_key.values()]


async def test_table_keys_selection_diff_and_filter(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: {"alpha", "beta"} <= set(names(app)))
        assert "0 running" in str(app.query_one("#where").render())
        await pilot.press("j", "j")
        first = app.table.highlighted
        assert first is not None and first.kind == "experiment"
        await pilot.press("space", "j", "space")
        assert len(app.view.selected) == 2
        await pilot.press("4")
        diff = app.query_one(DiffPanel).plain
        assert "lr" in diff and "alpha" in diff and "beta" in diff
        await pilot.press("k")
        await pilot.press("slash")
        await pilot.press(*"score>0.5", "enter")
        await wait_until(pilot, lambda: "alpha" not in names(app))
        assert "beta" in names(app)
        await pilot.press("slash", "escape")
        await wait_until(pilot, lambda: "alpha" in names(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_remove_asks_first_and_names_the_experiment(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "beta")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "beta" in str(app.screen.query_one("#question", Label).render())
        await pilot.press("n")
        assert "beta" in names(app)
        await pilot.press("d", "y")
        await wait_until(pilot, lambda: "beta" not in names(app))
    refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], repo).stdout
    assert "/beta" not in refs and "/alpha" in refs


async def test_branch_prompt_and_params_form_refusing_a_bad_value(repo: Path) -> None:
    app = CatdogApp(Backend.discover(repo))
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "alpha")
        await pilot.press("b")
        field = await shown_input(pilot, app)
        field.value = "from-alpha"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "from-alpha" in run(["git", "branch"], repo).stdout)

        await pilot.press("e")
        assert isinstance(app.screen, ParamsForm)
        form = app.screen
        index = next(i for i, (_, key, _) in enumerate(form.fields) if key == "layers")
        form.query_one(f"#field-{index}", Input).value = "many"
        await pilot.pause()
        problem = str(form.query_one(f"#field-{index}-problem", Label).render())
        assert "integer" in problem
        assert form.query_one("#run", Button).disabled
        assert form.query_one("#queue", Button).disabled
        await pilot.press("escape")
        assert not isinstance(app.screen, ParamsForm)


async def test_a_run_started_from_the_app_outlives_it(repo: Path, tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    (repo / "config" / "hparams.yaml").write_text(
        f"lr: 0.5\nlayers: 3\nhold: '{hold}'\nunused: 1e-3\n"
    )
    backend = Backend.discover(repo)
    app = CatdogApp(backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "alpha" in names(app))
        await pilot.press("r")
        await wait_until(pilot, lambda: any(r.status == "running" for r in app.view.rows))
        await pilot.press("q")
    runs = backend.runs.all()
    assert len(runs) == 1 and not backend.runs.get(runs[0].id).finished
    hold.unlink()
    record = backend.runs.wait(runs[0].id, timeout=120)
    assert record.status == "success"
    assert any(r.metrics.get("summary.json", {}).get("loss") == pytest.approx(0.5)
               for r in backend.experiments())  # fmt: skip
