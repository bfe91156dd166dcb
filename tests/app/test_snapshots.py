"""SVG snapshots of every screen at fixed sizes (pytest-textual-snapshot).

The repository is generated with fixed commit dates (bench/fixtures.py), so revs, times and
values are the same on every run; the clock's time zone is pinned to UTC.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from bench.fixtures import DVC_YAML, make_repo
from tests.app.image_repos import logged_files
from tests.app.test_app import wait_until
from tui.app.app import CatdogApp
from tui.backend.service import Backend

pytestmark = pytest.mark.slow
WHEN = 1_767_225_600  # 2026-01-01 00:00 UTC


def snapshot_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    extra: Callable[[int], Mapping[str, bytes]] | None = None,
) -> CatdogApp:  # fmt: skip
    """The app on three experiments with fixed dates (and `extra` files each), in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    root = make_repo(tmp_path / "snapshot-project", 3, when=WHEN, extra=extra)
    return CatdogApp(Backend.discover(root), show_machine=False)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CatdogApp:
    return snapshot_app(tmp_path, monkeypatch)


@pytest.fixture
def images_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CatdogApp:
    """The same project, its experiments with images DVCLive logged (half-blocks: the
    tests' CATDOG_TUI_IMAGES)."""
    images = [{path: data for path, data in logged_files(tmp_path / f"logged-{n}", n).items()
               if path.startswith("dvclive/plots/images/")} for n in range(3)]  # fmt: skip
    return snapshot_app(tmp_path, monkeypatch, images.__getitem__)


ROC_PLOTS = """\
plots:
  - dvclive/plots/sklearn/roc.json:
      template: simple
      x: fpr
      y: tpr
      title: ROC
  - dvclive/plots/sklearn/precision_recall.json:
      template: simple
      x: recall
      y: precision
      title: Precision-recall
"""


def _curves(number: int) -> dict[str, bytes]:
    """ROC and precision-recall points as DVCLive's sklearn plots write them, a better model
    for each later experiment."""
    lift = 0.15 * number
    fpr = [0.0, 0.1, 0.2, 0.4, 0.7, 1.0]
    tpr = [0.0] + [min(1.0, x ** (0.6 - lift) if x else 0.0) for x in fpr[1:]]
    recall = [1.0, 0.9, 0.75, 0.5, 0.25, 0.0]
    precision = [0.5 + 0.1 * number, 0.6 + 0.08 * number, 0.7 + 0.07 * number, 0.8, 0.9, 1.0]
    roc = {"roc": [{"fpr": f, "tpr": t, "threshold": 1 - f} for f, t in zip(fpr, tpr, strict=True)]}
    pr = {"precision_recall": [{"precision": p, "recall": r, "threshold": r}
                               for p, r in zip(precision, recall, strict=True)]}  # fmt: skip
    return {
        "dvc.yaml": (DVC_YAML + ROC_PLOTS).encode(),
        "dvclive/plots/sklearn/roc.json": json.dumps(roc).encode(),
        "dvclive/plots/sklearn/precision_recall.json": json.dumps(pr).encode(),
    }


@pytest.fixture
def curves_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CatdogApp:
    """The same project, its experiments with ROC and precision-recall curves declared in
    their dvc.yaml (the fixture's baseline has none)."""
    return snapshot_app(tmp_path, monkeypatch, _curves)


def settled(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, CatdogApp)
        await wait_until(pilot, lambda: len(app.view.rows) == 5 and app.idle)
        for key in keys:
            await pilot.press(key)
            await wait_until(pilot, lambda: app.idle)
        await wait_until(pilot, lambda: app.idle)

    return run_before


def test_main_screen(snap_compare: Any, app: CatdogApp) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled("j", "j"))


def test_main_screen_in_80_by_24(snap_compare: Any, app: CatdogApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled("j", "j"))


def test_confusion_matrices_side_by_side(snap_compare: Any, app: CatdogApp) -> None:
    keys = ("j", "j", "space", "j", "space", "2")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled(*keys))


def test_params_form(snap_compare: Any, app: CatdogApp) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled("e"))


def test_help_screen(snap_compare: Any, app: CatdogApp) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled("question_mark"))


def test_plots_with_a_step_range_smoothing_and_the_cursor(
    snap_compare: Any, app: CatdogApp
) -> None:
    keys = ("j", "j", "space", "j", "space", "z", *"2:8", "enter", *["plus"] * 6, "v", "left")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settled(*keys))


def test_images_side_by_side(snap_compare: Any, images_app: CatdogApp) -> None:
    keys = ("j", "j", "space", "j", "space", "7", "comma")
    settle = settled(*keys)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        panel = images_app.images
        await wait_until(pilot, lambda: len(panel.captions) == 2 and "3 of 4" in panel.status
                         and images_app.idle)  # fmt: skip

    assert snap_compare(images_app, terminal_size=(120, 40), run_before=run_before)


def test_custom_plot(snap_compare: Any, app: CatdogApp) -> None:
    # exp-00002 selected (its chart colour), exp-00001 highlighted (its marker and name).
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled("j", "j", "space", "j", "8")(pilot)
        plot = app.custom_plot
        await wait_until(pilot, lambda: plot.settled and plot.scatter is not None and app.idle)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_curves_overlaid(snap_compare: Any, curves_app: CatdogApp) -> None:
    # exp-00002 and exp-00001 selected: both curves on each chart, the area under each.
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled("j", "j", "space", "j", "space", "6")(pilot)
        grid = curves_app.curve_charts
        await wait_until(pilot, lambda: "area" in grid.plain and curves_app.idle)

    assert snap_compare(curves_app, terminal_size=(120, 40), run_before=run_before)
