"""Charts written to files, read back: CSV and JSON hold the points DVCLive logged, SVG is a
picture of the terminal charts, PNG where cairosvg can run; a bad suffix or folder is one line
and leaves nothing behind. From the CLI too."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.backend.repos import make_repo
from tests.backend.test_plots import KERAS_LIKE
from tests.conftest import run
from tui.app.chart_view import ChartView, parse_range
from tui.backend.errors import BackendError
from tui.backend.service import Backend
from tui.export import export_charts


@pytest.fixture
def keras(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "keras", {"train.py": KERAS_LIKE})
    run(["python", "train.py"], root)  # real DVCLive files: 8 metrics, 3 steps
    return root


def charted(root: Path) -> list[tuple[object, object]]:
    backend = Backend.discover(root)
    workspace = backend.experiments()[0]
    return [(workspace, backend.live_data([workspace])[workspace.key])]


def test_csv_and_json_hold_what_dvclive_logged(keras: Path, tmp_path: Path) -> None:
    rows = charted(keras)
    summary = export_charts(tmp_path / "out.csv", rows, "loss")  # type: ignore[arg-type]
    assert "out.csv" in summary
    with (tmp_path / "out.csv").open() as handle:
        read = list(csv.DictReader(handle))
    assert {r["metric"] for r in read} == {"loss", "val_loss"}
    assert [float(r["value"]) for r in read if r["metric"] == "val_loss"] == [2.0, 2.1, 2.2]
    export_charts(tmp_path / "out.json", rows)  # type: ignore[arg-type]
    data = json.loads((tmp_path / "out.json").read_text())["workspace"]
    assert len(data) == 8 and data["auc"] == {"steps": [0, 1, 2], "values": [7.0, 7.1, 7.2]}


def test_pictures_svg_always_png_where_cairo_runs(keras: Path, tmp_path: Path) -> None:
    rows = charted(keras)
    export_charts(tmp_path / "charts.svg", rows, "*accuracy*")  # type: ignore[arg-type]
    svg = (tmp_path / "charts.svg").read_text()
    assert svg.startswith("<svg") and "val_accuracy" in svg and "loss" not in svg
    try:
        export_charts(tmp_path / "charts.png", rows)  # type: ignore[arg-type]
    except BackendError as error:  # a machine without cairosvg or the Cairo library
        assert "cairosvg" in str(error) and not (tmp_path / "charts.png").exists()
    else:
        assert (tmp_path / "charts.png").read_bytes().startswith(b"\x89PNG")


def test_bad_targets_are_one_line_and_leave_nothing(keras: Path, tmp_path: Path) -> None:
    rows = charted(keras)
    with pytest.raises(BackendError, match="suffix"):
        export_charts(tmp_path / "out.xlsx", rows)  # type: ignore[arg-type]
    with pytest.raises(BackendError, match="not a folder"):
        export_charts(tmp_path / "missing" / "out.csv", rows)  # type: ignore[arg-type]
    with pytest.raises(BackendError, match="matches 'nothing-like-this'"):
        export_charts(tmp_path / "none.csv", rows, "nothing-like-this")  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keras"]


def test_from_the_cli(keras: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.json"
    done = run(["catdog-tui", "plots", "export", "workspace", "-o", str(out), "--metric", "lr"],
               keras)  # fmt: skip
    assert "wrote" in done.stdout and list(json.loads(out.read_text())["workspace"]) == ["lr"]
    bad = run(["catdog-tui", "plots", "export", "nope", "-o", str(out)], keras, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_the_chart_view_goes_with_the_export(keras: Path, tmp_path: Path) -> None:
    rows = charted(keras)
    view = ChartView(parse_range("1:2"), smoothing=0.5)
    export_charts(tmp_path / "view.csv", rows, "val_loss", view)  # type: ignore[arg-type]
    with (tmp_path / "view.csv").open() as handle:
        read = list(csv.DictReader(handle))
    assert [(int(r["step"]), float(r["value"])) for r in read] == [(1, 2.1), (2, 2.2)]
    # Smoothed over the whole run, then cut (as the chart draws it): TensorBoard's debiased
    # average of 2.0, 2.1, 2.2 at weight 0.5 is 2.0, 2.0667, 2.1429.
    assert [float(r["smoothed"]) for r in read] == pytest.approx([31 / 15, 15 / 7])
    export_charts(tmp_path / "view.json", rows, "val_loss", view)  # type: ignore[arg-type]
    shown = json.loads((tmp_path / "view.json").read_text())["workspace"]["val_loss"]
    assert shown["steps"] == [1, 2] and shown["smoothed"] == pytest.approx([31 / 15, 15 / 7])
    with pytest.raises(BackendError, match="in steps 5:9"):
        export_charts(tmp_path / "none.csv", rows, None, ChartView(parse_range("5:9")))  # type: ignore[arg-type]


def test_the_view_from_the_cli(keras: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.csv"
    done = run(["catdog-tui", "plots", "export", "workspace", "-o", str(out), "--metric", "auc",
                "--steps", ":1", "--smoothing", "0.5", "--log-y"], keras)  # fmt: skip
    assert "wrote" in done.stdout
    with out.open() as handle:
        read = list(csv.DictReader(handle))
    assert [(r["step"], r["value"]) for r in read] == [("0", "7.0"), ("1", "7.1")]
    assert "smoothed" in read[0]
    for flags, problem in (
        (["--steps", "9:1"], "--steps: the start is after the end"),
        (["--smoothing", "1.5"], "--smoothing: a weight from 0 to 0.99"),
    ):
        bad = run(["catdog-tui", "plots", "export", "workspace", "-o", str(tmp_path / "x.csv"),
                   *flags], keras, check=False)  # fmt: skip
        assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
        assert problem in bad.stderr and not (tmp_path / "x.csv").exists()
