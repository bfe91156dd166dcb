"""When a running experiment should end, from DVCLive's own files written by DVCLive itself,
with its clock replaced by one the test moves (a step takes what the test says), and the
summary's mtime set to that clock as DVCLive writes it (when a step ends)."""

from __future__ import annotations

import json
import os
import time
import types
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dvclive.plots.metric
import pytest
from dvclive import Live

from tests.backend.repos import held_timed_repo, wait_for
from tests.conftest import run
from tui.backend import progress
from tui.backend.experiments import Experiment
from tui.backend.follow import StepFollower
from tui.backend.progress import (
    EtaReader,
    clock,
    step_durations,
    steps_done,
    time_left,
    total_steps,
)
from tui.backend.service import Backend
from tui.cli import main
from tui.display import status_text

PARAMS = {"params.yaml": {"train.n_epochs": 10, "train.learning_rate": 0.01}}


class Clock:
    """DVCLive's `time.time()`, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """DVCLive's metric timestamps read this clock (its module's `time`, not the test's)."""
    moved = Clock()
    monkeypatch.setattr(dvclive.plots.metric, "time", types.SimpleNamespace(time=moved.time))
    yield moved


def log_steps(
    live: Live, moved: Clock, seconds: list[float], *, timestamp: bool = True, rows: int = 1,
    metric: str = "train/loss",
) -> None:  # fmt: skip
    """One step per duration, as a training loop logs them; `rows` per step, as DVCLive's system
    monitor logs its metrics every second or so at the step under way."""
    for duration in seconds:
        if rows == 1:
            moved.now += duration  # a step's metrics are logged as it ends
        else:  # DVCLive's system monitor: a sample as the step starts, then every duration / rows
            for row in range(rows):
                live.log_metric("system/cpu/usage (%)", 10.0 + row, timestamp=True)
                moved.now += duration / rows
        live.log_metric(metric, 1.0 / (live.step + 1), timestamp=timestamp and rows == 1)
        live.next_step()
        written_at(Path(live.dir), moved.now)


def written_at(live_dir: Path, when: float) -> None:
    """DVCLive's summary was written at `when` (by the test's clock)."""
    os.utime(live_dir / "metrics.json", (when, when))


def running_row(root: Path, params: dict[str, dict[str, Any]] | None = None,
                status: str = "running") -> Experiment:  # fmt: skip
    """The listing's row of a run writing into `root/dvclive`: its metrics as the listing reads
    them (DVCLive's metrics.json, flattened)."""
    summary = json.loads((root / "dvclive" / "metrics.json").read_text())
    return Experiment(
        kind="experiment", name="exp", rev="a" * 40, baseline="b" * 40,
        status=status,  # type: ignore[arg-type]
        created=None, params=PARAMS if params is None else params,
        metrics={"dvclive/metrics.json": {"step": summary["step"]}}, live_root=str(root),
    )  # fmt: skip


def new_live(root: Path, *, resume: bool = False) -> Live:
    return Live(dir=str(root / "dvclive"), save_dvc_exp=False, dvcyaml=None, resume=resume)


def test_time_left_is_the_recent_step_time_times_the_steps_left(
    tmp_path: Path, fake_clock: Clock
) -> None:
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [600.0, 60.0, 60.0, 300.0, 60.0, 60.0])
    row = running_row(tmp_path)
    assert steps_done(row) == 6
    # The first step's own time is not known (nothing timed before it); of the next five,
    # the median: the one slow step (300 s) does not swing it.
    assert EtaReader(tmp_path).finish_at(row) == fake_clock.now + 60.0 * 4


def test_the_estimate_follows_new_steps_and_a_run_started_over(
    tmp_path: Path, fake_clock: Clock
) -> None:
    reader = EtaReader(tmp_path)
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [10.0, 10.0])
    assert reader.finish_at(running_row(tmp_path)) == fake_clock.now + 10.0 * 8
    log_steps(live, fake_clock, [30.0, 30.0, 30.0])
    assert reader.finish_at(running_row(tmp_path)) == fake_clock.now + 30.0 * 5
    live.end()
    # A new run in the same folder: DVCLive rewrites the tables from step 0.
    again = new_live(tmp_path)
    log_steps(again, fake_clock, [5.0, 5.0, 5.0])
    assert reader.finish_at(running_row(tmp_path)) == fake_clock.now + 5.0 * 7


def test_system_metrics_time_the_steps_when_the_metrics_have_no_timestamps(
    tmp_path: Path, fake_clock: Clock
) -> None:
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [40.0, 40.0, 40.0, 40.0], rows=20)
    row = running_row(tmp_path)
    tables = tmp_path / "dvclive" / "plots" / "metrics"
    assert "timestamp" not in (tables / "train" / "loss.tsv").read_text()
    # The last step's system rows are those of its start; when it ended is the summary's time.
    assert EtaReader(tmp_path).finish_at(row) == pytest.approx(fake_clock.now + 40.0 * 6)


def test_catdog_tui_run_tells_the_same_time_left(tmp_path: Path, fake_clock: Clock) -> None:
    # The launcher started the run a long while ago: its own average per step (startup
    # included) would say otherwise.
    follower = StepFollower(tmp_path / "dvclive", 10, started=time.time() - 3000)
    fake_clock.now = time.time()  # the follower reads a summary older than the run as stale
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [600.0, 60.0, 60.0, 300.0, 60.0, 60.0])
    (report,) = follower.poll()
    assert report.eta_s == 240.0
    assert EtaReader(tmp_path).finish_at(running_row(tmp_path)) == fake_clock.now + 240.0
    assert report.line(10).endswith("ETA 4:00")


def test_a_long_table_is_read_from_its_end_then_as_it_grows(
    tmp_path: Path, fake_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A first read that takes a few hundred bytes from the end, then four times more: it ends
    # mid-file, mid-line and mid-step, as a first look at a long run's system metrics does.
    monkeypatch.setattr(progress, "TAIL_BYTES", 200)
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [200.0] * 24 + [30.0, 30.0, 30.0, 90.0, 90.0], rows=20)
    params = {"params.yaml": {"epochs": 40}}
    reader = EtaReader(tmp_path)
    # Of the last five durations the median, 30 s; fewer of them would say 60 or 90.
    left = reader.finish_at(running_row(tmp_path, params))
    assert left == pytest.approx(fake_clock.now + 30.0 * 11)
    log_steps(live, fake_clock, [90.0, 90.0], rows=20)
    left = reader.finish_at(running_row(tmp_path, params))
    assert left == pytest.approx(fake_clock.now + 90.0 * 9)


def test_a_fine_tuning_phase_counts_in_the_total(tmp_path: Path, fake_clock: Clock) -> None:
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [20.0, 20.0, 20.0])
    params = {"params.yaml": {"train.n_epochs": 3, "train.fine_tune_epochs": 4}}
    assert total_steps(params) == 7
    assert EtaReader(tmp_path).finish_at(running_row(tmp_path, params)) == fake_clock.now + 80.0


@pytest.mark.parametrize(
    "params", [{"params.yaml": {"lr": 0.1, "layers": 3}}, {}], ids=["no-epochs", "no-params"]
)
def test_no_estimate_without_a_total(
    tmp_path: Path, fake_clock: Clock, params: dict[str, dict[str, Any]]
) -> None:
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [20.0, 20.0, 20.0])
    assert total_steps(params) is None
    assert EtaReader(tmp_path).finish_at(running_row(tmp_path, params)) is None


def test_no_estimate_without_timestamps_done_steps_or_a_running_run(
    tmp_path: Path, fake_clock: Clock
) -> None:
    reader = EtaReader(tmp_path)
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [20.0, 20.0, 20.0], timestamp=False)
    row = running_row(tmp_path)
    assert reader.finish_at(row) is None, "DVCLive timed nothing, and one step was seen done"
    # A metric of its own: DVCLive's header of a table is written once, with or without times.
    log_steps(live, fake_clock, [20.0, 20.0], metric="train/accuracy")
    timed = running_row(tmp_path)
    assert reader.finish_at(timed) == fake_clock.now + 20.0 * 5
    queued = running_row(tmp_path, status="queued")
    assert reader.finish_at(queued) is None
    listed = reader.with_eta([queued, timed])
    assert listed[0] is queued and listed[0].eta_at is None
    assert listed[1].eta_at == fake_clock.now + 100.0 and timed.eta_at is None, "a copy"
    log_steps(live, fake_clock, [20.0] * 5, metric="train/accuracy")
    assert reader.finish_at(running_row(tmp_path)) is None, "every step done"


def test_a_reader_that_lives_on_times_the_steps_it_sees_done(
    tmp_path: Path, fake_clock: Clock
) -> None:
    # DVCLive's Keras and Lightning callbacks time nothing: no table has a `timestamp`.
    reader = EtaReader(tmp_path)
    live = new_live(tmp_path)
    start = fake_clock.now
    log_steps(live, fake_clock, [100.0], timestamp=False)
    assert reader.finish_at(running_row(tmp_path)) is None, "one step seen: no duration yet"
    log_steps(live, fake_clock, [50.0], timestamp=False)
    assert reader.finish_at(running_row(tmp_path)) == start + 150.0 + 50.0 * 8
    # Two steps done between looks: their time is shared between them.
    log_steps(live, fake_clock, [70.0, 50.0], timestamp=False)
    assert reader.finish_at(running_row(tmp_path)) == start + 270.0 + 55.0 * 6
    assert EtaReader(tmp_path).finish_at(running_row(tmp_path)) is None, "a one-shot `ls`"
    # A summary being written is read again, and the step's time is its own.
    summary = tmp_path / "dvclive" / "metrics.json"
    complete, row = summary.read_bytes(), running_row(tmp_path)
    summary.write_bytes(complete[: len(complete) // 2])
    written_at(summary.parent, start + 330.0)
    assert reader.finish_at(row) == start + 270.0 + 55.0 * 6
    log_steps(live, fake_clock, [60.0], timestamp=False)
    assert reader.finish_at(running_row(tmp_path)) == start + 330.0 + 60.0 * 5
    # DVCLive writes the summary again at the end, at the same step: its time stays.
    written_at(summary.parent, start + 400.0)
    assert reader.finish_at(running_row(tmp_path)) == start + 330.0 + 60.0 * 5


def test_a_timed_table_is_preferred_to_the_steps_seen_done(
    tmp_path: Path, fake_clock: Clock
) -> None:
    reader = EtaReader(tmp_path)
    live = new_live(tmp_path)
    for step in range(3):
        log_steps(live, fake_clock, [20.0])
        # Summaries seen 100 s apart (as a slow disk might date them): the table says 20 s.
        written_at(tmp_path / "dvclive", 1_800_000_000.0 + 100.0 * step)
        reader.finish_at(running_row(tmp_path))
    assert reader.finish_at(running_row(tmp_path)) == 1_800_000_200.0 + 20.0 * 7


def test_the_time_left_runs_down_between_steps(tmp_path: Path, fake_clock: Clock) -> None:
    live = new_live(tmp_path)
    log_steps(live, fake_clock, [60.0, 65.0, 65.0])
    end = EtaReader(tmp_path).finish_at(running_row(tmp_path))
    assert end == fake_clock.now + 65.0 * 7
    row = running_row(tmp_path).with_eta(end)
    logged = fake_clock.now
    at = (0.0, 30.0, 454.4, 454.6, 455.0, 600.0)
    assert [status_text(row, logged + seconds) for seconds in at] == [
        "running epoch 3/10 ~7:35 left",
        "running epoch 3/10 ~7:05 left",
        "running epoch 3/10 ~0:01 left",
        "running epoch 3/10 overdue",
        "running epoch 3/10 overdue",
        "running epoch 3/10 overdue",
    ]
    assert [row.as_json(logged + seconds)["eta_s"] for seconds in at] == [
        455.0, 425.0, 0.6, 0.4, 0.0, 0.0
    ]  # fmt: skip
    eta_at = datetime.fromisoformat(row.as_json(logged)["eta_at"])
    assert eta_at.timestamp() == end and eta_at.tzinfo is not None


def test_step_durations_and_their_median() -> None:
    assert step_durations([0, 1, 3], [0.0, 2.0, 8.0]) == [2.0, 3.0]
    assert step_durations([0, 1, 0, 1], [0.0, 1.0, 5.0, 9.0]) == [4.0]
    assert time_left([1.0, 9.0, 2.0, 3.0], done=2, total=4) == 5.0
    assert time_left([], done=2, total=4) is None
    assert time_left([1.0], done=None, total=4) is None


def test_durations_are_written_as_everywhere_in_the_app() -> None:
    assert [clock(s) for s in (42, 190, 3723, float("inf"))] == ["0:42", "3:10", "1:02:03", "?"]


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A repository of TIMED and the file that holds its run (see `held_timed_repo`)."""
    with held_timed_repo(tmp_path) as made:
        yield made


@pytest.mark.slow
def test_ls_gives_a_running_experiment_its_time_left(
    timed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, hold = timed
    Backend.discover(root).start_run([f"train.hold={hold}"], name="timed")

    def listing() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(run(["catdog-tui", "ls", "--json"], root).stdout)
        return rows

    def held(rows: list[dict[str, Any]]) -> bool:
        """The run is past its last logged step and waits."""
        return any(row["name"] == "timed" and row["status"] == "running"
                   and row["metrics"].get("dvclive/metrics.json", {}).get("step") == 2
                   for row in rows)  # fmt: skip

    wait_for(lambda: held(listing()), what="the run to log its three steps")
    before = time.time()
    rows = listing()
    after = time.time()
    (timed_row,) = [row for row in rows if row["name"] == "timed"]
    (summary,) = root.glob("**/dvclive/metrics.json")
    # Two steps of 60 s left after the last one, which ended when DVCLive wrote its summary.
    end = summary.stat().st_mtime + 120.0
    assert datetime.fromisoformat(timed_row["eta_at"]).timestamp() == pytest.approx(end)
    assert round(end - after, 1) <= timed_row["eta_s"] <= round(end - before, 1)
    assert set(timed_row) == {"name", "rev", "baseline", "status", "created", "params",
                              "metrics", "errors", "error", "eta_s", "eta_at"}  # fmt: skip
    assert [row["eta_s"] for row in rows if row is not timed_row] == [None] * (len(rows) - 1)
    # The table, printed 30 s after the last step, then past the estimate.
    for seconds, shown in ((30.0, "~1:30 left"), (125.0, "overdue")):
        moved = types.SimpleNamespace(time=lambda at=seconds: summary.stat().st_mtime + at)
        monkeypatch.setattr("tui.cli.time", moved)
        assert main(["-C", str(root), "ls"]) == 0
        assert f"running epoch 3/5 {shown}" in capsys.readouterr().out
