"""Sharing from the app: `P` pushes the highlighted experiment, `R` shows the experiments the
remote has and this clone lacks (marked remote), `U` pulls one. Two clones of one project
through a bare git repository and a DVC remote folder, both made here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_app import SIZE, highlight, names, wait_until
from tests.backend.test_share import experiment, make_machines
from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import ConfirmScreen
from tui.backend.service import Backend

pytestmark = pytest.mark.slow


async def test_push_from_one_clone_then_see_and_pull_it_in_the_other(tmp_path: Path) -> None:
    machines = make_machines(tmp_path)
    experiment(machines.a, "shared", 0.4)
    app = CatdogApp(Backend.discover(machines.a), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "shared")
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "refs/exps" in run(
            ["git", "ls-remote", str(machines.bare)], tmp_path).stdout, timeout=120)  # fmt: skip

    other = CatdogApp(Backend.discover(machines.b), show_machine=False)
    async with other.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: other.listings > 0 and other.idle)
        assert "shared" not in names(other)
        await pilot.press("R")
        await wait_until(pilot, lambda: any(r.label == "shared" and r.status == "remote"
                                            for r in other.view.rows))  # fmt: skip
        await highlight(pilot, other, "shared")
        await pilot.press("U")
        await wait_until(pilot, lambda: any(r.label == "shared" and r.status == "success"
                                            for r in other.view.rows), timeout=120)  # fmt: skip
        assert [r.status for r in other.view.rows if r.label == "shared"] == ["success"]
        pulled = next(r for r in other.view.rows if r.label == "shared")
        assert pulled.params["config/hparams.yaml"]["lr"] == 0.4
