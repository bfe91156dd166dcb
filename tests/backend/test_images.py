"""Logged images: their names and steps, and their bytes from the workspace, git and DVC's cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.app.image_repos import LOG_IMAGES, log_images
from tests.backend.repos import make_repo
from tests.backend.test_plots import commit_all
from tests.conftest import run
from tui.backend.images import LoggedImage, at_step, logged_image, steps_of
from tui.backend.service import Backend


def test_names_and_steps_as_vscode_reads_them() -> None:
    assert logged_image("dvclive/plots/images/misclassified/00012_cat_as_dog.png") == LoggedImage(
        "dvclive/plots/images/misclassified/00012_cat_as_dog.png",
        "misclassified/00012_cat_as_dog.png", None,
    )  # fmt: skip
    # A folder per image, a file per step (VS Code's slider; Ultralytics' callback writes it).
    assert logged_image("dvclive/plots/images/samples/12.png").step == 12
    assert logged_image("dvclive/plots/images/samples/12.png").name == "samples"
    assert logged_image("eval/plots/images/val/batch/003.jpg").name == "val/batch"
    # A folder per step.
    assert logged_image("dvclive/plots/images/7/grid.png") == LoggedImage(
        "dvclive/plots/images/7/grid.png", "grid.png", 7
    )
    # A number alone at the top is a name, not a step of nothing.
    assert logged_image("dvclive/plots/images/3.png") == LoggedImage(
        "dvclive/plots/images/3.png", "3.png", None
    )
    assert logged_image("plots/roc.png").name == "roc.png"  # declared outside DVCLive


def test_each_name_shows_its_latest_image_not_after_the_step() -> None:
    images = [logged_image(f"d/plots/images/{p}") for p in
              ("a/0.png", "a/2.png", "a/4.png", "b/1.png", "fixed.png")]  # fmt: skip
    assert steps_of(images) == [0, 1, 2, 4]
    assert {n: i.step for n, i in at_step(images, 2).items()} == {"a": 2, "b": 1, "fixed.png": None}
    assert {n: i.step for n, i in at_step(images, 3).items()} == {"a": 2, "b": 1, "fixed.png": None}
    assert set(at_step(images, 0)) == {"a", "fixed.png"}
    assert set(at_step(images, None)) == {"fixed.png"}


def test_image_bytes_of_the_workspace_and_of_a_commit(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    log_images(root, 0)
    commit_all(root, "images")
    backend = Backend.discover(root)
    rows = backend.experiments()
    workspace = next(r for r in rows if r.kind == "workspace")
    baseline = next(r for r in rows if r.kind == "baseline")
    paths = backend.live_data([baseline])[baseline.key].images
    assert "dvclive/plots/images/samples/3.png" in paths
    assert any(p.endswith("_cat_as_dog.png") for p in paths)
    sample = "dvclive/plots/images/samples/3.png"
    committed = backend.image_bytes(baseline, sample)
    assert committed is not None and committed.startswith(b"\x89PNG")
    # The workspace's file changes; the commit's stays.
    (root / sample).write_bytes(b"\x89PNG half")
    assert backend.image_bytes(workspace, sample) == b"\x89PNG half"
    assert backend.image_bytes(baseline, sample) == committed
    assert backend.image_bytes(baseline, "dvclive/plots/images/nothing.png") is None
    assert backend.image_bytes(workspace, "../outside.png") is None


def test_image_bytes_of_a_cached_dvclive_output(tmp_path: Path) -> None:
    """A DVCLive folder that is a cached stage output: its images come from DVC's cache (by
    dvc.lock's hashes), as the charts' data does."""
    root = make_repo(tmp_path / "repo", {
        "log.py": LOG_IMAGES,
        "dvc.yaml": "stages:\n  log:\n    cmd: python log.py 1\n    deps: [log.py]\n"
                    "    outs: [dvclive]\n",
    })  # fmt: skip
    run(["dvc", "repro", "-q"], root)
    commit_all(root, "images in the cache")
    shutil.rmtree(root / "dvclive")
    backend = Backend.discover(root)
    baseline = next(r for r in backend.experiments() if r.kind == "baseline")
    sample = "dvclive/plots/images/samples/0.png"
    assert sample in backend.live_data([baseline])[baseline.key].images
    data = backend.image_bytes(baseline, sample)
    assert data is not None and data.startswith(b"\x89PNG")
