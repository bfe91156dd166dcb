"""The app on DVCLive layouts it did not make: a confusion matrix under another name, eight
Keras-style metrics in pages with a metric filter; and text from outside never read as markup.

The repositories are committed with files that DVCLive itself wrote; no `dvc exp run`.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label, TabbedContent

from tests.app.test_app import wait_until
from tests.backend.repos import make_repo
from tests.backend.test_plots import EVALUATE, GET_STARTED, KERAS_LIKE, commit_all
from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.screens.dialogs import PromptScreen
from tui.app.widgets.panels import ConfusionPanel
from tui.backend.service import Backend

SIZE = (120, 40)


async def settle(pilot: object, app: CatdogApp) -> None:
    await wait_until(pilot, lambda: bool(app.view.rows) and app.idle)  # type: ignore[arg-type]


async def highlight_baseline(pilot: object, app: CatdogApp) -> None:
    await settle(pilot, app)
    while app.table.highlighted is None or app.table.highlighted.kind != "baseline":
        await pilot.press("j")  # type: ignore[attr-defined]
    await settle(pilot, app)


async def test_a_confusion_matrix_declared_under_another_name(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "get-started", {"dvc.yaml": GET_STARTED, "evaluate.py": EVALUATE})
    run(["python", "evaluate.py"], root)
    commit_all(root, "evaluate")
    app = CatdogApp(Backend.discover(root))
    async with app.run_test(size=SIZE) as pilot:
        await highlight_baseline(pilot, app)
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "confusion"
        panel = app.query_one(ConfusionPanel)
        await wait_until(pilot, lambda: "actual" in panel.plain)
        assert "no confusion matrix" not in panel.plain
        await pilot.press("1")
        await settle(pilot, app)
        assert "eval/loss" in app.charts.plain and "train/loss" in app.charts.plain


async def test_eight_keras_metrics_page_and_filter(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "keras", {"train.py": KERAS_LIKE})
    run(["python", "train.py"], root)
    commit_all(root, "run")
    app = CatdogApp(Backend.discover(root))
    async with app.run_test(size=(80, 30)) as pilot:  # small: more charts than fit
        await highlight_baseline(pilot, app)
        status = app.query_one("#chart-status")
        first_page = app.charts.plain
        assert "8 charts" in str(status.render()) and "page 1/" in str(status.render())
        # validation above training: val_loss pairs with loss, in that order
        assert first_page.index("val_accuracy") < first_page.index(" accuracy")
        assert "no points yet" not in first_page, "only metrics that exist, all with points"
        drawn = app.charts.drawn
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: app.charts.drawn > drawn and app.idle)
        assert "page 2/" in str(status.render())
        assert app.charts.plain != first_page
        await pilot.press("m")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"*loss*", "enter")
        await wait_until(pilot, lambda: "2 charts" in str(status.render()))
        assert "val_loss" in app.charts.plain and "accuracy" not in app.charts.plain
        await pilot.press("m")
        await pilot.press(*"nothing-like-it", "enter")
        await wait_until(pilot, lambda: "No metric matches" in app.charts.plain)


async def test_outside_text_is_never_markup_and_a_bad_filter_hides_nothing(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "repo")
    app = CatdogApp(Backend.discover(root))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        # What DVC prints when a grid is queued: brackets that Rich would take for markup.
        said = "Queueing with overrides '{'params.yaml': ['train.lr=[bold]0.1[/]']}'."
        app.backend_action(lambda: said)
        await wait_until(pilot, lambda: any(said in str(n.message) for n in app._notifications))
        shown = len(app.view.visible())
        await pilot.press("slash", *"score>>abc")
        problem = app.query_one("#filter-problem", Label)
        await wait_until(pilot, lambda: problem.display)
        assert "one operator" in str(problem.render())
        await pilot.press("enter")
        assert len(app.view.visible()) == shown


SYSTEM_MONITORED = """\
import time
from pathlib import Path

import dvclive.monitor_system
from dvclive import Live

# DVCLive 3.49 drops every sample (CPU and RAM too) when pynvml imports but NVML cannot
# start (no driver): the project's training turns the GPU part off then, as here.
try:
    import pynvml

    pynvml.nvmlInit()
except Exception:
    dvclive.monitor_system.GPU_AVAILABLE = False

# A run with DVCLive's own system monitor, as train.monitor_system turns on.
with Live(dvcyaml=None) as live:
    live.monitor_system(interval=0.01, num_samples=2)
    deadline = time.monotonic() + 30
    while not Path("dvclive/plots/metrics/system/ram/usage (%).tsv").exists():
        assert time.monotonic() < deadline, "the monitor wrote nothing"
        time.sleep(0.05)
    for step in range(3):
        live.log_metric("train/loss", 1 / (step + 1))
        live.next_step()
"""


async def test_system_tab_shows_dvclive_system_metrics_and_the_machine_line(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "monitored", {"train.py": SYSTEM_MONITORED})
    run(["python", "train.py"], root)
    commit_all(root, "run")
    app = CatdogApp(Backend.discover(root))
    async with app.run_test(size=SIZE) as pilot:
        await highlight_baseline(pilot, app)
        await wait_until(pilot, lambda: "train/loss" in app.charts.plain)
        assert "system/" not in app.charts.plain, "system metrics have their own tab"
        await pilot.press("5")
        assert app.query_one(TabbedContent).active == "system"
        await wait_until(pilot, lambda: "system/ram/usage (%)" in app.system_charts.plain)
        assert "train/loss" not in app.system_charts.plain
        machine = app.query_one("#machine")
        # This machine's CPU and RAM, read live (a GPU line too where NVML finds cards).
        await wait_until(pilot, lambda: "RAM" in str(machine.render()))
        assert machine.display


async def test_charts_follow_the_terminal_size(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "keras", {"train.py": KERAS_LIKE})
    run(["python", "train.py"], root)
    commit_all(root, "run")
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await highlight_baseline(pilot, app)
        await wait_until(pilot, lambda: "loss" in app.charts.plain)
        narrow = max(len(line) for line in app.charts.plain.splitlines())
        await pilot.resize_terminal(160, 40)
        await wait_until(pilot, lambda: max(
            len(line) for line in app.charts.plain.splitlines()) > narrow + 30)  # fmt: skip
