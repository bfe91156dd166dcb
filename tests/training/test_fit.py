"""Whole training runs, small: both phases in one DVCLive run, and a failed save mid-run."""

from __future__ import annotations

import copy
import csv
import os
from collections.abc import Iterator
from pathlib import Path

import keras
import pytest

from tests.conftest import PARAMS
from training import callbacks, synthetic
from training.fit import train
from training.params import Params, parse_params, read_yaml
from training.stage import StageError

pytestmark = pytest.mark.slow


def small_params(**train: object) -> Params:
    raw = copy.deepcopy(read_yaml(PARAMS))
    raw["train"].update(image_width=32, image_height=32, batch_size=8, monitor_system=False)
    raw["train"].update(train)
    raw["model"].update(backbone="mobilenet_v3_small", weights="none")
    return parse_params(raw)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    synthetic.write_dataset(tmp_path / "data" / "raw", 8, 4)
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def steps(path: Path) -> list[int]:
    with path.open(newline="") as handle:
        return [int(row["step"]) for row in csv.DictReader(handle, delimiter="\t")]


def test_fine_tuning_continues_the_same_dvclive_run(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train(small_params(n_epochs=2, fine_tune_epochs=2, fine_tune_from=-8))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/4", "2/4", "3/4", "4/4"]
    for split in ("train", "eval"):
        tsv = workdir / "dvclive" / "plots" / "metrics" / split / "accuracy.tsv"
        assert steps(tsv) == [0, 1, 2, 3]
    with (workdir / "metrics.csv").open() as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1", "2", "3"]
    assert (workdir / "models" / "model.keras").is_file()


def test_a_failed_save_stops_after_the_epoch_is_logged(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves: list[str] = []
    real_save = keras.Model.save

    def second_save_fails(self: keras.Model, path: str, *args: object, **kwargs: object) -> None:
        saves.append(path)
        if len(saves) == 2:
            raise OSError(28, "No space left on device")
        real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", second_save_fails)
    original = callbacks.BestCheckpoint.on_epoch_end

    # Every epoch counts as the best so far, so that the second epoch saves again.
    def always_improves(self: callbacks.BestCheckpoint, epoch: int, logs: object = None) -> None:
        self.best = float("-inf")
        original(self, epoch, logs)  # type: ignore[arg-type]

    monkeypatch.setattr(callbacks.BestCheckpoint, "on_epoch_end", always_improves)
    first_model = workdir / "models" / "model.keras"
    with pytest.raises(StageError, match="the last good one is kept"):
        train(small_params(n_epochs=3))
    assert first_model.is_file()
    assert steps(workdir / "dvclive" / "plots" / "metrics" / "eval" / "accuracy.tsv") == [0, 1]
    assert not list((workdir / "models").glob(".*"))


def test_a_failed_run_resumes_from_its_last_epoch(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    params = small_params(n_epochs=3)
    params = parse_params({**params.model_dump(), "model": {"backbone": "tiny", "weights": "none"}})
    report = callbacks.EpochReport.on_epoch_end
    started_at: list[int] = []

    def fails_in_epoch_2(self: callbacks.EpochReport, epoch: int, logs: object = None) -> None:
        if epoch == 1:
            raise RuntimeError("killed")
        report(self, epoch, logs)  # type: ignore[arg-type]

    def note_start(self: callbacks.EpochReport, logs: object = None) -> None:
        started_at.append(int(self.model.optimizer.iterations.numpy()))

    monkeypatch.setattr(callbacks.EpochReport, "on_train_begin", note_start)
    monkeypatch.setattr(callbacks.EpochReport, "on_epoch_end", fails_in_epoch_2)
    with pytest.raises(RuntimeError, match="killed"):
        train(params)
    monkeypatch.setattr(callbacks.EpochReport, "on_epoch_end", report)
    capsys.readouterr()

    monkeypatch.setenv("CATDOG_TUI_RESUME", "1")
    train(params)
    out = capsys.readouterr().out
    assert "resuming after epoch 1/3 from " in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("epoch")] == [
        "2/3",
        "3/3",
    ]
    # 16 images in batches of 8: the optimizer had taken 2 steps, and goes on from there.
    assert started_at == [0, 2]
    for split in ("train", "eval"):
        tsv = workdir / "dvclive" / "plots" / "metrics" / split / "accuracy.tsv"
        assert steps(tsv) == [0, 1, 2]
    with (workdir / "metrics.csv").open() as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0", "1", "2"]
    assert not (workdir / ".dvc" / "tmp" / "catdog-tui" / "resume" / "workspace").exists()


def test_resume_refuses_state_of_other_params(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training import resume

    params = small_params(n_epochs=2)
    folder = resume.state_dir()
    folder.mkdir(parents=True)
    (folder / "state.json").write_text('{"params": {}, "epoch": 0, "phase": 1, "best": 0.5}')
    monkeypatch.setenv("CATDOG_TUI_RESUME", "1")
    with pytest.raises(StageError, match="had other params: run again with those, or without"):
        train(params)
