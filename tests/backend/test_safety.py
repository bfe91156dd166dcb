"""Nothing destroyed by a slip: every refusal leaves git, the workspace and the runs as they were.

The experiments are real (`dvc exp run` of a stage that needs no TensorFlow), made once per
module and copied for each test, so that a test that removes or applies cannot disturb another.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.repos import make_repo, wait_for
from tests.conftest import TEST_ENV, run
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment
from tui.backend.service import Backend
from tui.backend.targets import resolve_experiment

PARAMS = "config/hparams.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with experiments `alpha` and `beta` on an older commit, `alpha` again and
    `gamma` on HEAD, and a tag `v1` on the older commit."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENV.items():
            patch.setenv(name, value)
        root = make_repo(tmp_path_factory.mktemp("safety") / "repo")
        run(["dvc", "exp", "run", "-n", "alpha", "-S", f"{PARAMS}:lr=0.2"], root)
        run(["dvc", "exp", "run", "-n", "beta", "-S", f"{PARAMS}:lr=0.3"], root)
        run(["git", "tag", "v1"], root)
        (root / "notes.txt").write_text("a second commit\n")
        run(["git", "add", "notes.txt"], root)
        run(["git", "commit", "-q", "-m", "second"], root)
        run(["dvc", "exp", "run", "-n", "alpha", "-S", f"{PARAMS}:lr=0.4"], root)
        run(["dvc", "exp", "run", "-n", "gamma", "-S", f"{PARAMS}:lr=0.5"], root)
    return root


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built repository."""
    return Path(shutil.copytree(built, tmp_path / "repo", symlinks=True))


def state(root: Path) -> tuple[str, str, bytes, list[str]]:
    """Refs, the index and workspace status, the params file, and our run records."""
    runs = root / ".dvc" / "tmp" / "catdog-tui" / "runs"
    return (
        run(["git", "for-each-ref"], root).stdout,
        run(["git", "status", "--porcelain", "--untracked-files=all"], root).stdout,
        (root / PARAMS).read_bytes(),
        sorted(p.name for p in runs.iterdir()) if runs.is_dir() else [],
    )


def refused(root: Path, *args: str) -> str:
    """Run the CLI, expect one error line and exit 2; return the line."""
    done = run(["catdog-tui", *args], root, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("catdog-tui: ")
    return lines[0]


def rows(root: Path) -> list[Experiment]:
    return Backend.discover(root).index.with_experiments()


def rev_of(root: Path, name: str, baseline: str | None = None) -> str:
    matches = [
        r.rev for r in rows(root)
        if r.name == name and r.kind == "experiment" and baseline in (None, r.baseline)
    ]  # fmt: skip
    assert len(matches) == 1, matches
    return matches[0]


def head(root: Path) -> str:
    return run(["git", "rev-parse", "HEAD"], root).stdout.strip()


def test_short_prefixes_baselines_and_unknown_names_are_refused(repo: Path) -> None:
    before = state(repo)
    gamma = rev_of(repo, "gamma")
    line = refused(repo, "remove", gamma[0])
    assert "too short for a rev: give at least 4 hex digits" in line
    assert "gamma" in line, "the candidates are listed"
    line = refused(repo, "remove", head(repo)[:8])
    assert "a commit and not an experiment" in line
    assert "no experiment called 'gama' (did you mean gamma?)" in refused(repo, "remove", "gama")
    # One bad name among good ones: nothing is removed.
    refused(repo, "remove", "gamma", "nope")
    assert state(repo) == before


def test_apply_never_takes_a_baseline_and_keeps_an_uncommitted_edit(repo: Path) -> None:
    (repo / PARAMS).write_text((repo / PARAMS).read_text().replace("layers: 3", "layers: 4"))
    before = state(repo)
    for name in (head(repo)[:6], head(repo)[:1], "v1", "main"):
        refused(repo, "apply", name)
    assert state(repo) == before
    assert b"layers: 4" in (repo / PARAMS).read_bytes()


def test_a_name_of_experiments_of_two_baselines_is_ambiguous(repo: Path) -> None:
    before = state(repo)
    line = refused(repo, "remove", "alpha")
    assert "'alpha' names 2 experiments" in line and "give a rev prefix" in line
    refused(repo, "apply", "alpha")
    assert state(repo) == before


def test_a_unique_prefix_removes_exactly_that_experiment(repo: Path) -> None:
    old = run(["git", "rev-parse", "v1"], repo).stdout.strip()
    old_alpha = rev_of(repo, "alpha", baseline=old)
    new_alpha = rev_of(repo, "alpha", baseline=head(repo))
    done = run(["catdog-tui", "remove", old_alpha[:10]], repo)
    assert done.stdout.strip() == "removed alpha"
    left = {(r.name, r.rev) for r in rows(repo) if r.kind == "experiment"}
    assert ("alpha", new_alpha) in left and ("alpha", old_alpha) not in left
    assert {name for name, _ in left} == {"alpha", "beta", "gamma"}


def test_apply_and_branch_act_on_the_experiment_named(repo: Path) -> None:
    (repo / PARAMS).write_text((repo / PARAMS).read_text().replace("lr: 0.5", "lr: 0.9"))
    run(["catdog-tui", "apply", "gamma"], repo)
    assert "lr: 0.5" in (repo / PARAMS).read_text()
    before = state(repo)
    assert "exists already" in refused(repo, "branch", "gamma", "main")
    assert "not a valid git branch name" in refused(repo, "branch", "gamma", "a..b")
    assert state(repo) == before
    run(["catdog-tui", "branch", "gamma", "from-gamma"], repo)
    assert run(["git", "rev-parse", "from-gamma"], repo).stdout.strip() == rev_of(repo, "gamma")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 300, "give a name of 1 to 100 characters"),
        ("two words", "not a valid git ref name"),
        ("a/b", "not a valid git ref name"),
        ("bad..name", "not a valid git ref name"),
        ("gamma", "an experiment is already called so"),
        ("beta", "an experiment is already called so"),
        ("main", "a branch is already called so"),
        ("v1", "a tag is already called so"),
        ("deadbeef", "looks like a commit id"),
        ("workspace", "reserved"),
    ],
)
def test_a_bad_name_is_refused_before_launch(repo: Path, name: str, message: str) -> None:
    before = state(repo)
    assert message in refused(repo, "run", "--name", name)
    assert message in refused(repo, "run", "--queue", "--name", name)
    assert state(repo) == before


def test_a_sweep_names_every_run_it_makes(repo: Path) -> None:
    run(["dvc", "exp", "run", "-n", "delta-2", "-S", f"{PARAMS}:lr=0.6"], repo)
    before = state(repo)
    line = refused(repo, "run", "--queue", "--name", "delta", "-S", f"{PARAMS}:lr=0.1,0.2")
    assert "--name 'delta-2': an experiment is already called so" in line
    assert state(repo) == before


def test_overrides_dvc_would_mishandle_are_refused_before_launch(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "x.yaml"
    outside.write_text("a: 1\n")
    before = state(repo)
    cases = {
        "../x.yaml:a=2": "is outside the repository",
        f"{PARAMS}:lr=null": "lr is a number in config/hparams.yaml (",
        f"{PARAMS}:+note=it's": "not a valid override",
        f"{PARAMS}:lr=0.1,0.2": "is a sweep (several values): sweeps run through the queue",
    }
    for override, message in cases.items():
        assert message in refused(repo, "run", "-S", override)
    assert "outside the repository" in refused(repo, "run", "--queue", "-S", "../x.yaml:a=2")
    assert state(repo) == before
    assert outside.read_text() == "a: 1\n"
    assert run(["git", "ls-files", "--error-unmatch", "../x.yaml"], repo, check=False).returncode


def test_no_commits_yet_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    (root / "params.yaml").write_text("lr: 0.1\n")
    assert "no commits yet" in refused(root, "run", "-S", "lr=0.2")
    assert "no commits yet" in refused(root, "run", "--queue")


def test_an_unwritable_state_folder_is_one_line(repo: Path) -> None:
    # Tests run as root, which a read-only mode does not stop: a file where the folder of run
    # records must go fails the same write the same way.
    state_dir = repo / ".dvc" / "tmp" / "catdog-tui"
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.write_text("in the way\n")
    line = refused(repo, "run", "--detach")
    assert "cannot write the run's record" in line and "writable repository" in line


def test_foreign_and_damaged_run_records_are_shown_not_dropped(repo: Path) -> None:
    runs = repo / ".dvc" / "tmp" / "catdog-tui" / "runs"
    newer = runs / "20300101-000000-aaaaaa"
    newer.mkdir(parents=True)
    record = {
        "id": newer.name, "argv": ["true"], "cwd": str(repo), "name": "from-the-future",
        "status": "success", "created": 1.0, "exit_code": 0, "gpu": 3,
    }  # fmt: skip
    (newer / "run.json").write_text(json.dumps(record))
    (newer / "log.txt").write_text("trained on the future\n")
    damaged = runs / "20300101-000001-bbbbbb"
    damaged.mkdir()
    (damaged / "run.json").write_text('{"id": "20300101-0')
    (damaged / "log.txt").write_text("half a record\n")

    backend = Backend.discover(repo)
    listed = {r.id: r for r in backend.runs.all()}
    assert listed[newer.name].extra == {"gpu": 3}
    assert listed[damaged.name].status == "failed"
    assert "cannot be read" in (listed[damaged.name].note or "")
    assert run(["catdog-tui", "logs", "from-the-future"], repo).stdout == "trained on the future\n"
    assert run(["catdog-tui", "logs", damaged.name], repo).stdout == "half a record\n"
    assert "nothing to stop" in refused(repo, "stop", "from-the-future")
    (newer / "log.txt").unlink()
    assert "the log of from-the-future is gone" in refused(repo, "logs", "from-the-future")
    # Read and settled, the foreign record keeps its own fields.
    assert json.loads((newer / "run.json").read_text())["gpu"] == 3


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A file that holds the test stage while it exists; removed however the test ends."""
    hold = tmp_path / "hold"
    hold.touch()
    yield hold
    hold.unlink(missing_ok=True)


def test_queue_start_returns_while_the_workers_run(repo: Path, held: Path) -> None:
    run(["catdog-tui", "run", "--queue", "--name", "waiting", "-S", f"{PARAMS}:hold={held}"],
        repo)  # fmt: skip
    try:
        # The workers outlive this call and inherit its output: it must not wait for them.
        started = subprocess.run(
            ["catdog-tui", "queue", "start", "-j", "1"], cwd=repo, capture_output=True,
            text=True, stdin=subprocess.DEVNULL, check=False, timeout=240,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr

        def status() -> str | None:
            return next((r.status for r in rows(repo) if r.name == "waiting"), None)

        wait_for(lambda: status() == "running", what="the queued run to start")
        assert status() == "running", "queue start came back while the run is still held"
        held.unlink()
        wait_for(lambda: status() == "success", what="the queued run to finish")
    finally:
        held.unlink(missing_ok=True)
        run(["dvc", "queue", "stop", "--kill"], repo, check=False)


def remove_tree(path: Path) -> None:
    """`rm -rf` of a folder that DVC and the supervisor write into meanwhile: a file made
    during the walk fails it ("Directory not empty"), so again, as a person would."""
    for _ in range(100):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            continue
    raise AssertionError(f"{path} could not be removed")


def test_a_run_whose_state_folder_is_deleted_leaves_a_record(repo: Path, held: Path) -> None:
    started = run(["catdog-tui", "run", "--detach", "-n", "orphaned-folder", "-S",
                   f"{PARAMS}:hold={held}"], repo)  # fmt: skip
    run_id = started.stdout.split()[2].rstrip(";")
    backend = Backend.discover(repo)
    try:
        wait_for(lambda: backend.runs.get(run_id).status == "running", what="running")
        remove_tree(repo / ".dvc" / "tmp")
        wait_for(lambda: backend.runs.run_dir(run_id).is_dir(), what="the record made again")
        held.unlink()
        record = backend.runs.wait(run_id, timeout=120)
        assert record.finished
        assert record.note is not None and "was deleted while the run went on" in record.note
        assert "Reproducing experiment" in backend.runs.log_path(run_id).read_text()
    finally:
        held.unlink(missing_ok=True)
        record = backend.runs.get(run_id)
        if not record.finished and record.child_pid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record.child_pid, signal.SIGKILL)


def test_resolution_rules_on_rows() -> None:
    def row(kind: str, rev: str, name: str | None) -> Experiment:
        return Experiment(kind=kind, name=name, rev=rev, baseline="b" * 40,  # type: ignore[arg-type]
                          status="success", created=None)  # fmt: skip

    listing = [
        row("baseline", "abcd" + "0" * 36, "main"),
        row("experiment", "abcd" + "1" * 36, "one"),
        row("experiment", "abce" + "2" * 36, "two"),
    ]
    assert resolve_experiment("one", listing).name == "one"
    assert resolve_experiment("ABCE", listing).name == "two"
    assert resolve_experiment("abcd1", listing).name == "one"
    for name, message in {
        "abc": "too short",
        "abcd": "matches 2 revs",
        "abcd0": "a commit and not an experiment",
        "ffff": "no experiment has a rev starting with",
    }.items():
        with pytest.raises(BackendError, match=message):
            resolve_experiment(name, listing)
