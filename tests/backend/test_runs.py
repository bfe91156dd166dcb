"""Detached runs through the real CLI and DVC: they survive their launcher, and report honestly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.backend.repos import make_repo, wait_for
from tests.conftest import run
from tui.backend.errors import BackendError
from tui.backend.runrecord import read_record
from tui.backend.service import Backend

pytestmark = pytest.mark.slow


def _default_signals() -> None:
    # Started under nohup (or as a background job of a script) the tests inherit SIGHUP and
    # SIGINT ignored, and so would the launcher: give it the dispositions a terminal gives.
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


Launch = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def launch_cli() -> Iterator[Launch]:
    """Start `catdog-tui run ARGS` in a repository; launchers still alive at the end are
    killed, whatever the test did."""
    launched: list[subprocess.Popen[str]] = []

    def launch(root: Path, *args: str) -> subprocess.Popen[str]:
        cli = subprocess.Popen(
            ["catdog-tui", "run", *args], cwd=root, text=True, preexec_fn=_default_signals,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        launched.append(cli)
        return cli

    yield launch
    for cli in launched:
        if cli.poll() is None:
            cli.kill()
        cli.communicate()


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[Path]:
    """A file that holds the test stage while it exists. However the test ends, it is removed
    and every run it started is stopped, so that nothing is left waiting."""
    path = tmp_path / "hold"
    path.touch()
    yield path
    path.unlink(missing_ok=True)
    root = tmp_path / "repo"
    if (root / ".dvc").is_dir():
        runs = Backend.discover(root).runs
        for record in runs.all():
            if not record.finished:
                with contextlib.suppress(BackendError):
                    runs.stop(record.id)
                runs.wait(record.id, timeout=60)


def only_run(root: Path) -> str:
    runs = Backend.discover(root).runs.all()
    assert len(runs) == 1
    return runs[0].id


def wait_running(root: Path) -> str:
    wait_for(lambda: Backend.discover(root).runs.all(), what="a run record")
    run_id = only_run(root)
    wait_for(lambda: Backend.discover(root).runs.get(run_id).status == "running", what="running")
    return run_id


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP])
def test_a_run_outlives_its_launcher_and_is_committed(
    tmp_path: Path, hold: Path, launch_cli: Launch, sig: signal.Signals
) -> None:
    root = make_repo(tmp_path / "repo")
    cli = launch_cli(root, "-n", "survivor", "-S", f"config/hparams.yaml:hold={hold}")
    run_id = wait_running(root)
    cli.send_signal(sig)
    cli.wait(timeout=30)
    assert cli.returncode != 0, "the launcher is gone"
    hold.unlink()
    backend = Backend.discover(root)
    record = backend.runs.wait(run_id, timeout=120)
    assert (record.status, record.exit_code) == ("success", 0)
    rows = {row.name: row for row in backend.experiments()}
    assert rows["survivor"].status == "success"
    assert rows["survivor"].metrics["results/nested/scores.json"]["score"] == pytest.approx(0.2)


def test_foreground_run_prints_the_result_and_a_failure_shows_with_its_log(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    done = run(["catdog-tui", "run", "-n", "broken", "-S", "config/hparams.yaml:lr=-1"], root,
               check=False)  # fmt: skip
    assert done.returncode != 0
    assert "broken: failed" in done.stdout
    logs = run(["catdog-tui", "logs", "broken"], root)
    assert "lr must be positive" in logs.stdout
    record = Backend.discover(root).runs.get(only_run(root))
    assert record.status == "failed" and record.exit_code not in (0, None)


def test_ctrl_c_stops_the_run(tmp_path: Path, hold: Path, launch_cli: Launch) -> None:
    root = make_repo(tmp_path / "repo")
    cli = launch_cli(root, "-n", "interrupted", "-S", f"config/hparams.yaml:hold={hold}")
    run_id = wait_running(root)
    cli.send_signal(signal.SIGINT)
    out, _ = cli.communicate(timeout=60)
    assert "interrupted: stopped" in out
    assert Backend.discover(root).runs.get(run_id).status == "stopped"
    hold.unlink()


def test_a_run_whose_supervisor_vanished_reads_as_failed(tmp_path: Path, hold: Path) -> None:
    root = make_repo(tmp_path / "repo")
    run(["catdog-tui", "run", "--detach", "-n", "orphan", "-S",
         f"config/hparams.yaml:hold={hold}"], root)  # fmt: skip
    run_id = wait_running(root)
    backend = Backend.discover(root)
    record = read_record(backend.runs.run_dir(run_id))
    assert record.supervisor_pid is not None and record.child_pid is not None
    # As if the machine went down: the supervisor dies without writing, then its children.
    os.kill(record.supervisor_pid, signal.SIGKILL)
    os.killpg(record.child_pid, signal.SIGKILL)
    time.sleep(0.2)
    settled = backend.runs.get(run_id)
    assert settled.status == "failed"
    assert settled.note is not None and "without recording a status" in settled.note
    hold.unlink()


def test_bad_parameters_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    before = (root / "config" / "hparams.yaml").read_text()
    cases = {
        "config/hparams.yaml:lrate=0.1": "config/hparams.yaml has no key lrate (did you mean lr?)",
        "config/hparams.yaml:layers=2.5": (
            "layers is an integer in config/hparams.yaml (3), not a number (2.5)"
        ),
        "missing.yaml:x=1": "missing.yaml does not exist: check the file name",
        "config/hparams.yaml:lr": "expected key=value, e.g. -S train.learning_rate=0.1",
    }
    for override, message in cases.items():
        done = run(["catdog-tui", "run", "-S", override], root, check=False)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [f"catdog-tui: -S {override}: {message}"]
    assert (root / "config" / "hparams.yaml").read_text() == before
    assert not (root / ".dvc" / "tmp" / "catdog-tui").exists(), "nothing was launched"
    queued = run(["catdog-tui", "run", "--queue", "-S", "config/hparams.yaml:lr=0.1,0.2,x"],
                 root, check=False)  # fmt: skip
    assert queued.returncode == 2
    assert queued.stderr.strip().endswith(
        "lr is a number in config/hparams.yaml (0.1), not a string ('x')"
    )


def test_one_clear_line_for_wrong_places_and_names(tmp_path: Path) -> None:
    outside = run(["catdog-tui", "ls"], tmp_path, check=False)
    assert outside.returncode == 2
    assert outside.stderr.strip().splitlines() == [
        f"catdog-tui: {tmp_path.resolve()} is not inside a DVC repository: cd into one, or try "
        "the demo project with `catdog-tui demo`"
    ]
    root = make_repo(tmp_path / "repo")
    for command in (["logs", "nope"], ["stop", "nope"], ["apply", "nope"], ["remove", "nope"]):
        done = run(["catdog-tui", *command], root, check=False)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            "catdog-tui: no experiment called 'nope': `catdog-tui ls -A` lists them"
        ]
