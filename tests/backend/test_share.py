"""Experiments between machines: two clones of one project, a bare git repository as their
shared git remote and a local folder as their DVC remote, all made here.

Everything is real: `dvc exp run` makes the experiments (a stage that needs no TensorFlow),
`dvc exp push` and `dvc exp pull` move them, and `dvc exp list REMOTE` checks the remote
listing. Only ssh is faked, where a refusal of credentials is needed: no ssh server runs here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment
from tui.backend.service import Backend
from tui.backend.share import GitRemote, not_here, remote_failure, remote_rows

PARAMS = "config/hparams.yaml"


@dataclass(frozen=True)
class Machines:
    """Clone `a` and clone `b` of one project, their git remote and their DVC remote."""

    a: Path
    b: Path
    bare: Path
    store: Path


def make_machines(tmp_path: Path) -> Machines:
    """A project on machine A pushed to a bare repository with a DVC remote in its config, and
    machine B's clone of it; no experiments yet."""
    bare, store = tmp_path / "shared.git", tmp_path / "dvc-store"
    run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], tmp_path)
    a = make_repo(tmp_path / "a")
    run(["git", "remote", "add", "origin", str(bare)], a)
    run(["dvc", "remote", "add", "-d", "store", str(store)], a)
    run(["git", "commit", "-q", "-am", "a DVC remote the machines share"], a)
    run(["git", "push", "-q", "origin", "main"], a)
    # --no-local: B gets only what the remote sends, as a clone on another machine would.
    run(["git", "clone", "-q", "--no-local", str(bare), "b"], tmp_path)
    return Machines(a, tmp_path / "b", bare, store)


def experiment(root: Path, name: str, lr: float) -> None:
    run(["dvc", "exp", "run", "-q", "-n", name, "-S", f"{PARAMS}:lr={lr}"], root)


def cli(root: Path, *args: str) -> str:
    return run(["catdog-tui", *args], root).stdout


def listed(root: Path, *args: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(cli(root, "ls", "--json", *args))
    return rows


def refused(root: Path, *args: str) -> str:
    """Run the CLI, expect one error line and exit 2; return the line."""
    done = run(["catdog-tui", *args], root, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("catdog-tui: ")
    return lines[0]


def refs(*roots: Path) -> list[str]:
    """Every ref of each repository, and the files of the DVC remote: what a refusal keeps."""
    return [run(["git", "for-each-ref"], root).stdout for root in roots]


def stored(store: Path) -> list[str]:
    return sorted(str(p.relative_to(store)) for p in store.rglob("*")) if store.is_dir() else []


@pytest.mark.slow
def test_an_experiment_goes_from_a_to_b_through_the_remotes(tmp_path: Path) -> None:
    m = make_machines(tmp_path)
    experiment(m.a, "alpha", 0.3)
    [alpha] = [row for row in listed(m.a) if row["name"] == "alpha"]
    assert cli(m.a, "push", "alpha").strip() == (
        "pushed alpha to origin; cached outputs to DVC remote store"
    )
    assert stored(m.store), "the cached outputs went to the DVC remote"

    # B sees it as the remote's, never as its own, and as DVC lists it.
    assert "alpha" not in {row["name"] for row in listed(m.b)}
    [remote] = listed(m.b, "--remote", "origin")
    assert remote["status"] == "remote"
    assert (remote["name"], remote["rev"], remote["baseline"]) == (
        "alpha", alpha["rev"], alpha["baseline"],
    )  # fmt: skip
    assert remote["metrics"] == {} and remote["params"] == {}
    assert remote["created"] is None, "B lacks the commit until it pulls: no time to show"
    assert set(remote) == set(alpha), "the same JSON shape as the local listing"
    oracle = run(["dvc", "exp", "list", "-A", "--name-only", "origin"], m.b).stdout.split()
    assert oracle == ["alpha"]
    table = cli(m.b, "ls", "--remote", "origin")
    assert "alpha" in table and "remote" in table

    # Pulled by a rev prefix, it is B's own, with A's metrics: those of the DVC-cached
    # summary.json came through the DVC remote.
    pulled = cli(m.b, "pull", str(alpha["rev"])[:8]).strip()
    assert pulled == "pulled alpha from origin; cached outputs from DVC remote store"
    [local] = [row for row in listed(m.b) if row["name"] == "alpha"]
    assert local["status"] == "success" and local["rev"] == alpha["rev"]
    assert local["metrics"] == alpha["metrics"]
    assert "summary.json" in local["metrics"]  # type: ignore[operator]
    assert listed(m.b, "--remote", "origin") == [], "no longer only on the remote"


@pytest.mark.slow
def test_a_remote_row_is_told_apart_from_a_local_one_of_the_same_name(tmp_path: Path) -> None:
    m = make_machines(tmp_path)
    experiment(m.a, "alpha", 0.3)
    cli(m.a, "push", "alpha")
    experiment(m.b, "alpha", 0.4)  # same baseline, same name, another experiment
    backend = Backend.discover(m.b)
    local = {row.key for row in backend.experiments()}
    [remote] = backend.remote_experiments()
    assert remote.status == "remote" and remote.name == "alpha"
    assert remote.key.startswith("remote:") and remote.key not in local
    before = refs(m.a, m.b, m.bare)
    assert "another experiment of that name" in refused(m.b, "pull", "alpha")
    assert "another experiment of that name" in refused(m.b, "push", "alpha")
    assert refs(m.a, m.b, m.bare) == before


@pytest.mark.slow
def test_refusals_leave_every_repository_and_the_dvc_remote_untouched(tmp_path: Path) -> None:
    m = make_machines(tmp_path)
    experiment(m.a, "alpha", 0.3)
    run(["git", "commit", "-q", "--allow-empty", "-m", "second"], m.a)
    experiment(m.a, "alpha", 0.5)  # the same name on a second commit
    both = [str(row["rev"])[:8] for row in listed(m.a, "-A") if row["name"] == "alpha"]
    assert len(both) == 2
    cli(m.a, "push", "--no-cache", *both)
    before = refs(m.a, m.b, m.bare), stored(m.store)
    cases = [
        (m.a, ("push", "alpha"), "'alpha' names 2 experiments"),
        (m.b, ("pull", "alpha"), "'alpha' names 2 experiments"),
        (m.a, ("push", "nope"), "no experiment called 'nope'"),
        (m.b, ("pull", "alpah"), "no experiment called 'alpah' (did you mean alpha?)"),
        (m.b, ("pull", "ab"), "too short for a rev"),
        (m.a, ("push", "main"), "no experiment called 'main'"),
        (m.b, ("pull", "alpha", "--remote", "nope"), "no git remote called 'nope'"),
        (m.b, ("ls", "--remote", "nope"), "no git remote called 'nope'"),
        (m.b, ("pull", "alpha", "--dvc-remote", "nope"), "no DVC remote called 'nope'"),
    ]
    cases.append((m.a, ("push", both[0], "--remote", "nope"), "no git remote called 'nope'"))
    for root, args, message in cases:
        assert message in refused(root, *args), args
    assert (refs(m.a, m.b, m.bare), stored(m.store)) == before


def test_an_unreachable_remote_is_one_line_naming_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    gone = tmp_path / "gone.git"
    run(["git", "remote", "add", "origin", str(gone)], root)
    run(["dvc", "remote", "add", "-d", "store", str(tmp_path / "store")], root)
    before = refs(root)
    for args in (("ls", "--remote", "origin"), ("pull", "alpha"), ("ls", "--remote", str(gone))):
        line = refused(root, *args)
        assert "cannot be reached" in line and str(gone) in line, line
        assert "check its URL (git remote -v)" in line
    assert refs(root) == before


def test_no_remote_at_all_says_how_to_add_one(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    line = refused(root, "ls", "--remote", "origin")
    assert "no git remote" in line and "git remote add origin URL" in line
    with pytest.raises(BackendError, match="no git remote"):
        Backend.discover(root).remote_experiments()


def test_refused_credentials_are_one_line_saying_what_to_set_up(tmp_path: Path) -> None:
    # No ssh server here: an ssh that refuses the key as a real one does.
    fake_ssh = tmp_path / "ssh"
    fake_ssh.write_text(
        "#!/bin/sh\necho 'git@example.invalid: Permission denied (publickey).' >&2\nexit 255\n"
    )
    fake_ssh.chmod(0o755)
    root = make_repo(tmp_path / "repo")
    run(["git", "remote", "add", "origin", "git@example.invalid:team/project.git"], root)
    run(["dvc", "remote", "add", "-d", "store", str(tmp_path / "store")], root)
    done = run(["catdog-tui", "pull", "alpha"], root, check=False,
               env={"GIT_SSH_COMMAND": str(fake_ssh)})  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "git remote 'origin' (git@example.invalid:team/project.git) refused access" in line
    assert "Permission denied (publickey)" in line and "credential helper" in line


def test_without_a_dvc_remote_the_cache_needs_one_or_no_cache(tmp_path: Path) -> None:
    m_root = make_repo(tmp_path / "repo")
    bare = tmp_path / "shared.git"
    run(["git", "init", "-q", "--bare", str(bare)], tmp_path)
    run(["git", "remote", "add", "origin", str(bare)], m_root)
    line = refused(m_root, "pull", "alpha")
    assert "no default DVC remote" in line and "--no-cache" in line
    # With --no-cache the DVC remote is not needed: the name is what is wrong now.
    assert "no experiment called 'alpha'" in refused(m_root, "pull", "alpha", "--no-cache")


@pytest.mark.slow
def test_a_failing_dvc_remote_says_the_git_refs_went_and_what_to_do(tmp_path: Path) -> None:
    m = make_machines(tmp_path)
    experiment(m.a, "alpha", 0.3)
    # A DVC remote that cannot be written: DVC pushes the git refs first, then fails.
    run(["dvc", "remote", "add", "--local", "broken", "/dev/null/store"], m.a)
    line = refused(m.a, "push", "alpha", "--dvc-remote", "broken")
    assert "the git refs of alpha are on git remote 'origin'" in line
    assert "their cached outputs are not" in line and "push again" in line
    assert cli(m.a, "push", "alpha").strip().startswith("pushed alpha to origin")
    assert stored(m.store)


BASE = "ab" + "c" * 38


def test_remote_rows_are_keyed_apart_and_only_what_is_not_here_is_listed() -> None:
    refs = {f"refs/exps/ab/{'c' * 38}/alpha": "1" * 40, f"refs/exps/ab/{'c' * 38}/beta": "2" * 40}
    rows = remote_rows(refs, lambda rev: None)
    assert [(r.name, r.status, r.kind, r.baseline) for r in rows] == [
        ("alpha", "remote", "experiment", BASE), ("beta", "remote", "experiment", BASE),
    ]  # fmt: skip
    local = Experiment("experiment", "alpha", "1" * 40, BASE, "success", None)
    assert rows[0].key == f"remote:{BASE}:alpha" != local.key == f"{BASE}:alpha"
    here = {f"refs/exps/ab/{'c' * 38}/alpha": "1" * 40, f"refs/exps/ab/{'c' * 38}/beta": "9" * 40}
    # alpha is here as it is there; beta here is another experiment: the remote's is listed.
    assert [r.name for r in not_here(rows, here)] == ["beta"]


def test_failures_say_whether_the_remote_is_unreachable_or_refuses_us() -> None:
    remote = GitRemote("origin", "https://git.example.invalid/team/project.git")
    https = "fatal: Authentication failed for 'https://git.example.invalid/team/project.git/'"
    assert "refused access (Authentication failed for" in remote_failure(remote, https)
    dns = "fatal: unable to access '...': Could not resolve host: git.example.invalid"
    line = remote_failure(remote, dns)
    assert line.startswith("git remote 'origin' (https://git.example.invalid/team/project.git)")
    assert "cannot be reached (unable to access" in line and "\n" not in line
