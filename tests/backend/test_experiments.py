"""The listing equals `dvc exp show --json` on real repositories of several shapes and states."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.fixtures import make_repo as make_many
from tests.backend.oracle import dvc_rows, our_rows
from tests.backend.repos import make_repo, wait_for
from tests.conftest import run
from tui.backend.experiments import ExperimentIndex
from tui.backend.repo import find_repo

pytestmark = pytest.mark.slow


def listing(root: Path, num: int = 1, all_commits: bool = False) -> dict[str, dict[str, Any]]:
    return our_rows(ExperimentIndex(find_repo(root)).list(num, all_commits))


def assert_same_as_dvc(root: Path, *dvc_args: str, num: int = 1, all_commits: bool = False) -> None:
    expected = dvc_rows(root, *dvc_args)
    ours = listing(root, num, all_commits)
    assert ours.keys() == expected.keys()
    for rev, row in expected.items():
        assert ours[rev] == row, rev


def test_other_shape_finished_queued_and_failed(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "shapes")
    run(["dvc", "exp", "run", "-n", "first"], root)
    run(["dvc", "exp", "run", "-n", "second", "-S", "config/hparams.yaml:lr=0.3"], root)
    run(["dvc", "exp", "run", "--queue", "-n", "doomed", "-S", "config/hparams.yaml:lr=-1"], root)
    run(["dvc", "exp", "run", "--queue", "-n", "fine", "-S", "config/hparams.yaml:lr=0.4"], root)
    assert_same_as_dvc(root)
    statuses = {row["name"]: row["status"] for row in listing(root).values()}
    assert statuses["doomed"] == statuses["fine"] == "queued"

    # Workers inherit our pipes: give them none, so that this call returns at once.
    subprocess.run(
        ["dvc", "queue", "start", "-j", "1"], cwd=root, check=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def settled() -> bool:
        states = {row["name"]: row["status"] for row in listing(root).values()}
        return states.get("doomed") == "failed" and states.get("fine") == "success"

    wait_for(settled, what="the queue to run both entries")
    assert_same_as_dvc(root)
    rows = ExperimentIndex(find_repo(root)).list()
    failed = next(r for r in rows if r.name == "doomed")
    assert failed.log is not None and "lr must be positive" in Path(failed.log).read_text()
    fine = next(r for r in rows if r.name == "fine")
    assert fine.metrics["results/nested/scores.json"]["score"] == pytest.approx(0.8)
    assert fine.log is not None
    # Only the tracked keys of a params file with a key list; lists are not metrics.
    assert set(fine.params["config/hparams.yaml"]) == {"lr", "layers", "hold"}
    assert "deep.tags" not in fine.metrics["results/nested/scores.json"]
    assert fine.params["extra.json"] == {"seed": 7, "flags.fast": True}


def test_running_experiments_are_listed_while_dvc_holds_its_lock(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "running")
    hold = tmp_path / "hold"
    hold.touch()
    run(["dvc", "exp", "run", "-n", "done"], root)
    workspace_run = subprocess.Popen(
        ["dvc", "exp", "run", "-n", "held", "-S", f"config/hparams.yaml:hold={hold}"],
        cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def running() -> bool:
            return any(r["status"] == "running" for r in listing(root).values())

        wait_for(running, what="the workspace run to show as running")
        assert_same_as_dvc(root)
        held = listing(root)["workspace (running)"]
        assert held["params"]["config/hparams.yaml"]["hold"] == str(hold)
    finally:
        hold.unlink()
        workspace_run.wait(timeout=120)
    assert_same_as_dvc(root)


def test_several_baselines_and_all_commits(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "history")
    run(["dvc", "exp", "run", "-n", "on-first"], root)
    (root / "config" / "hparams.yaml").write_text("lr: 0.2\nlayers: 4\nhold: ''\nunused: 1\n")
    run(["git", "commit", "-q", "-am", "second commit"], root)
    run(["dvc", "exp", "run", "-n", "on-second"], root)
    assert_same_as_dvc(root, "-n", "2", num=2)
    assert_same_as_dvc(root, "-A", all_commits=True)
    assert_same_as_dvc(root)


def test_generated_repository_with_many_experiments(tmp_path: Path) -> None:
    root = make_many(tmp_path / "many", 40)
    assert_same_as_dvc(root)


def test_this_project_after_real_training(project: Path) -> None:
    run(
        ["dvc", "exp", "run", "-n", "tiny", "-S", "data.source=synthetic",
         "-S", "data.synthetic_train_per_class=20", "-S", "data.synthetic_validation_per_class=10",
         "-S", "model.backbone=tiny", "-S", "model.weights=none", "-S", "train.image_width=32",
         "-S", "train.image_height=32", "-S", "train.n_epochs=1"],
        project,
    )  # fmt: skip
    assert_same_as_dvc(project)
    tiny = next(r for r in listing(project).values() if r["name"] == "tiny")
    assert tiny["params"]["params.yaml"]["model.backbone"] == "tiny"
    assert set(tiny["metrics"]["dvclive/metrics.json"]) >= {"train.accuracy", "eval.loss"}
    shown = json.loads(run(["catdog-tui", "ls", "--json"], project).stdout)
    assert {row["name"] for row in shown} >= {"tiny"}
