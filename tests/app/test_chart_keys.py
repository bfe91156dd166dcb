"""The chart view's keys in the app, on runs DVCLive itself logged: `z` a step range, `y` log
y, `-`/`+` smoothing, `v` a cursor that reads exact values (left/right, tab, escape)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Label, Static, TabbedContent

from tests.app.test_app import wait_until
from tests.backend.repos import make_repo
from tests.backend.test_plots import EVALUATE, GET_STARTED, commit_all
from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import PromptScreen
from tui.app.widgets.chart_grid import ChartGrid
from tui.app.widgets.experiments import ExperimentsTable
from tui.backend.service import Backend

pytestmark = pytest.mark.slow
SIZE = (120, 40)

# Two runs of one script: `loss` falls as 1/(step+1), `delta` crosses 0 at step 3 (what a log
# scale cannot draw), each times the scale given.
TRAIN = """\
import sys
from dvclive import Live

scale = float(sys.argv[1])
with Live(dvcyaml=False, save_dvc_exp=False) as live:
    for step in range(12):
        live.log_metric("loss", scale / (step + 1))
        live.log_metric("delta", (step - 3) * scale)
        live.next_step()
"""


def two_runs(tmp_path: Path) -> Path:
    """The baseline (`main`) logged with scale 1, the workspace with scale 2."""
    root = make_repo(tmp_path / "two-runs", {"train.py": TRAIN})
    run(["python", "train.py", "1"], root)
    commit_all(root, "run")
    run(["python", "train.py", "2"], root)
    return root


def focused(app: CatdogApp) -> Widget | None:
    """The widget with the keys (a call: asserts on `app.focused` would narrow its type)."""
    return app.focused


def status(app: CatdogApp) -> str:
    return str(app.charts.query_one("#chart-status").render())


async def charted(pilot: Pilot[None], app: CatdogApp) -> None:
    """The workspace and the baseline selected, their charts drawn."""
    await wait_until(pilot, lambda: len(app.view.rows) == 2 and app.idle)
    await pilot.press("space", "j", "space")
    await wait_until(pilot, lambda: "main" in app.charts.plain and app.idle)


async def pressed(pilot: Pilot[None], app: CatdogApp, *keys: str) -> None:
    """Each key, then the page it drew."""
    for key in keys:
        before = app.charts.drawn
        await pilot.press(key)
        await wait_until(pilot, lambda before=before: app.charts.drawn > before and app.idle)  # type: ignore[misc]


async def test_range_log_and_smoothing_keys(tmp_path: Path) -> None:
    app = CatdogApp(Backend.discover(two_runs(tmp_path)), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await charted(pilot, app)
        assert "step" in app.charts.plain and "log y" not in status(app)
        axis_before = app.charts.plain.splitlines()[-2]

        await pilot.press("z")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"9:2")
        problem = app.screen.query_one("#problem", Label)
        assert "the start is after the end: 2:9" in str(problem.render())
        await pilot.press("enter")
        assert isinstance(app.screen, PromptScreen), "a bad range closes nothing"
        app.screen.query_one("#answer").value = "2:9"  # type: ignore[attr-defined]
        await pressed(pilot, app, "enter")
        assert "steps 2:9 (z)" in status(app)
        axis = app.charts.plain.splitlines()[-2]
        assert axis != axis_before and "2" in axis and "9" in axis and "11" not in axis

        await pressed(pilot, app, "y")
        assert "log y (y)" in status(app)
        # delta at steps 2 and 3 is -1 and 0 (times 1 or 2): 4 points a log axis cannot draw.
        assert "delta (log y: 4 points ≤ 0 left out)" in app.charts.plain

        await pressed(pilot, app, *["plus"] * 6)
        assert "smoothing 0.6 (- +)" in status(app)
        await pressed(pilot, app, "minus")
        assert "smoothing 0.5 (- +)" in status(app)

        await pilot.press("z")
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.query_one("#answer").value == "2:9", "the prompt shows the range"  # type: ignore[attr-defined]
        app.screen.query_one("#answer").value = ""  # type: ignore[attr-defined]
        await pressed(pilot, app, "enter", "y")
        assert "steps" not in status(app) and "log y" not in status(app)
        assert "left out" not in app.charts.plain
        assert "smoothing 0.5" in status(app), "each setting apart"


async def test_x_exports_what_the_charts_show(tmp_path: Path) -> None:
    root = two_runs(tmp_path)
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await charted(pilot, app)
        await pilot.press("z")
        app.screen.query_one("#answer").value = "2:4"  # type: ignore[attr-defined]
        await pressed(pilot, app, "enter", "plus")
        await pilot.press("x")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one("#answer").value = "shown.csv"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: (root / "shown.csv").exists() and app.idle)
    with (root / "shown.csv").open() as handle:
        read = list(csv.DictReader(handle))
    assert {r["experiment"] for r in read} == {"main", "workspace"}
    assert sorted({int(r["step"]) for r in read}) == [2, 3, 4], "the range shown, not every step"
    assert all(r["smoothed"] for r in read), "smoothing 0.1 on: a smoothed column"


async def test_the_cursor_reads_each_curves_exact_value(tmp_path: Path) -> None:
    app = CatdogApp(Backend.discover(two_runs(tmp_path)), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await charted(pilot, app)
        table = app.query_one(ExperimentsTable)
        await pilot.press("right")
        assert focused(app) is table and not app.charts.cursor_on, "arrows are the table's"

        await pressed(pilot, app, "v")
        assert focused(app) is app.charts
        helped = dict(app.key_help())
        assert helped["←"] == "chart cursor on: the previous step" and "tab" in helped
        readout = app.charts.query_one("#chart-cursor", Static)
        assert readout.display
        # The page's first chart (delta, by name), at its last step.
        assert app.charts.readout.startswith("▸ delta  step 11:")
        assert "● workspace 16.0" in app.charts.readout and "● main 8.0" in app.charts.readout
        assert "▸ delta" in app.charts.plain and "▸ loss" not in app.charts.plain

        await pressed(pilot, app, "left")
        assert "step 10:" in app.charts.readout and "● main 7.0" in app.charts.readout
        await pressed(pilot, app, "tab")
        # The next chart, at the same step: 2/11 and 1/11 to the last digit.
        assert app.charts.readout.startswith("▸ loss  step 10:")
        assert "● workspace 0.18181818181818182" in app.charts.readout
        assert "● main 0.09090909090909091" in app.charts.readout
        assert "▸ loss" in app.charts.plain and "▸ delta" not in app.charts.plain
        await pressed(pilot, app, "shift+left")
        assert "step 0:" in app.charts.readout and "● workspace 2.0" in app.charts.readout
        await pressed(pilot, app, "end")
        assert "step 11:" in app.charts.readout

        # Each label in its curve's colour, as the chart draws it: the first selected in cyan,
        # plotext's colour 6, the second in orange, its colour 3.
        content = readout.content
        assert isinstance(content, Text)
        colours = {content.plain[span.start : span.end]: str(span.style) for span in content.spans}
        assert colours["● workspace"] == "color(6)" and colours["● main"] == "color(3)"
        body = app.charts.query_one("#chart-body", Static).content
        assert isinstance(body, Text)
        assert {"color(6)", "color(3)"} <= {str(span.style) for span in body.spans}

        await pressed(pilot, app, "plus")
        assert "(smoothed " in app.charts.readout

        await pressed(pilot, app, "escape")
        assert not app.charts.cursor_on and not readout.display and app.charts.readout == ""
        assert focused(app) is table
        highlighted = table.highlighted_key
        await pilot.press("k")
        assert table.highlighted_key != highlighted, "the table has its keys again"


async def test_the_cursor_follows_the_tab_and_reads_a_curves_x(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "get-started", {"dvc.yaml": GET_STARTED, "evaluate.py": EVALUATE})
    run(["python", "evaluate.py"], root)
    commit_all(root, "evaluate")
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.view.rows) and app.idle)
        await pilot.press("v")
        assert focused(app) is app.charts
        await pilot.press("6")
        curves = app.query_one("#curves-panel", ChartGrid)
        assert app.query_one(TabbedContent).active == "curves"
        assert focused(app) is app.table, "a hidden grid does not keep the keys"
        await wait_until(pilot, lambda: "ROC" in curves.plain and app.idle)
        await pilot.press("v")
        await wait_until(pilot, lambda: curves.readout.startswith("▸ ROC: tpr  x 1:"))
        assert focused(app) is curves and app.charts.cursor_on, "each grid has its own cursor"
        await pilot.press("minus")
        said = "curves are drawn as logged"
        await wait_until(pilot, lambda: any(said in str(n.message) for n in app._notifications))
        await pilot.press("1")
        assert focused(app) is app.charts, "back to the tab whose cursor is on"
