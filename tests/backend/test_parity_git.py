"""The git side of parity with `dvc exp show --json`: metrics inside DVC-cached outputs, `-A`
over remote-tracking branches and tags, baseline names, `-n 0`, unborn HEAD, commits with equal
times, and paths and hashes from repository content that must not leave the repository.

Each oracle test compares rows, their order, names, values and which files failed to read.
Stages are tiny Python scripts: no TensorFlow, a second or two per `dvc exp run`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.backend.oracle import dvc_rows, our_rows
from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend.experiments import Experiment, ExperimentIndex
from tui.backend.outs import BAD_HASH, NOT_IN_CACHE, OUTSIDE
from tui.backend.repo import find_repo

# The layout of DVC's get-started example, and more: top-level metrics inside a cached folder
# output, a cached folder as metrics, a cached file output as metrics, a cached stage metric,
# and a stage with its own wdir (dvc.lock paths are relative to it).
EVALUATE = """\
import json
from pathlib import Path
import yaml

lr = yaml.safe_load(open("params.yaml"))["lr"]
Path("eval/plots").mkdir(parents=True, exist_ok=True)
json.dump({"avg_prec": lr * 3, "nested": {"roc": 0.5}}, open("eval/metrics.json", "w"))
json.dump({"points": 3}, open("eval/plots/extra.json", "w"))
Path("reports").mkdir(exist_ok=True)
json.dump({"a": lr}, open("reports/a.json", "w"))
json.dump({"b": 2}, open("reports/b.json", "w"))
json.dump({"score": lr}, open("score.json", "w"))
json.dump({"loss": 1 - lr}, open("summary.json", "w"))
"""

NESTED = """\
import json
from pathlib import Path
Path("out").mkdir(exist_ok=True)
json.dump({"depth": 2}, open("out/m.json", "w"))
"""

CACHED_OUTPUTS = {
    "params.yaml": "lr: 0.1\n",
    "evaluate.py": EVALUATE,
    "nested.py": NESTED,
    "sub/.keep": "",
    "dvc.yaml": """\
stages:
  evaluate:
    cmd: python evaluate.py
    deps: [evaluate.py]
    params: [lr]
    outs: [eval, reports, score.json]
    metrics: [summary.json]
  nested:
    wdir: sub
    cmd: python ../nested.py
    deps: [../nested.py]
    outs: [out]
metrics:
  - eval/metrics.json
  - reports
  - score.json
  - sub/out/m.json
""",
}

SECRET = 424242


def listing(root: Path, num: int = 1, all_commits: bool = False) -> list[Experiment]:
    return ExperimentIndex(find_repo(root)).list(num, all_commits)


def assert_same_as_dvc(
    root: Path, *dvc_args: str, num: int = 1, all_commits: bool = False
) -> dict[str, dict[str, Any]]:
    """Our listing equals DVC's row for row, in order, errors included; twice: the second time
    from what the first stored on disk."""
    expected = dvc_rows(root, *dvc_args, errors=True)
    for _ in range(2):
        ours = our_rows(listing(root, num, all_commits), errors=True)
        assert list(ours) == list(expected)
        for rev, row in expected.items():
            assert ours[rev] == row, rev
    return ours


def commit_all(root: Path, message: str, env: dict[str, str] | None = None) -> str:
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "--allow-empty", "-m", message], root, env=env)
    return rev_of(root, "HEAD")


def rev_of(root: Path, rev: str) -> str:
    return run(["git", "rev-parse", f"{rev}^{{commit}}"], root).stdout.strip()


def test_metrics_inside_cached_outputs(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "cached", CACHED_OUTPUTS)
    run(["dvc", "repro", "-q"], root)
    commit_all(root, "evaluated")
    run(["dvc", "exp", "run", "-q", "-n", "higher", "-S", "lr=0.3"], root)
    rows = assert_same_as_dvc(root, "-n", "2", num=2)
    higher = next(row for row in rows.values() if row["name"] == "higher")
    assert higher["metrics"]["eval/metrics.json"]["avg_prec"] == 0.3 * 3
    assert set(higher["metrics"]) == {
        "eval/metrics.json", "reports/a.json", "reports/b.json", "score.json", "summary.json",
        "sub/out/m.json",
    }  # fmt: skip

    # Outputs never checked out into the workspace are read from the cache too.
    for folder in ("eval", "reports", "sub/out"):
        shutil.rmtree(root / folder)
    (root / "score.json").unlink()
    assert_same_as_dvc(root, "-n", "2", num=2)


def test_cached_metrics_arriving_later_are_read_then(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", CACHED_OUTPUTS)
    run(["dvc", "repro", "-q"], origin)
    commit_all(origin, "evaluated")
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)

    # A fresh clone: no DVC cache, so every cached metric is an error, as DVC says.
    rows = assert_same_as_dvc(clone)
    assert listing(clone)[1].errors["score.json"] == NOT_IN_CACHE
    assert rows[rev_of(clone, "HEAD")]["metrics"] == {}

    # `dvc fetch` brings the objects: the same index, and a new one, now read them.
    index = ExperimentIndex(find_repo(clone))
    index.list()
    run(["dvc", "remote", "add", "-q", "-d", "store", str(origin / ".dvc" / "cache")], clone)
    run(["dvc", "fetch", "-q"], clone)
    rows = assert_same_as_dvc(clone)
    assert rows[rev_of(clone, "HEAD")]["metrics"]["score.json"] == {"score": 0.1}
    assert index.list()[1].metrics == rows[rev_of(clone, "HEAD")]["metrics"]


def test_all_commits_reach_remote_tracking_branches_and_tags(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin")
    run(["git", "tag", "v1.0"], origin)
    for branch, lr in (("feature", "0.2"), ("hotfix", "0.4")):
        run(["git", "checkout", "-q", "-b", branch, "main"], origin)
        (origin / "config" / "hparams.yaml").write_text(f"lr: {lr}\nlayers: 3\nhold: ''\n")
        commit_all(origin, branch)
    run(["git", "tag", "-a", "v2.0", "-m", "annotated"], origin)
    run(["git", "checkout", "-q", "main"], origin)

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)
    # An experiment on a commit only `origin/feature` reaches.
    run(["git", "checkout", "-q", "--detach", "origin/feature"], clone)
    run(["dvc", "exp", "run", "-q", "-n", "on-remote", "-S", "config/hparams.yaml:lr=0.5"], clone)
    # And one on a commit only a hand-made remote-tracking ref reaches.
    run(["git", "checkout", "-q", "-f", "-b", "gone", "main"], clone)
    (clone / "extra.json").write_text('{"seed": 8, "flags": {"fast": false}}')
    gone = commit_all(clone, "soon only on a remote")
    run(["dvc", "exp", "run", "-q", "-n", "on-gone"], clone)
    run(["git", "checkout", "-q", "-f", "main"], clone)
    run(["git", "update-ref", "refs/remotes/other/gone", gone], clone)
    run(["git", "branch", "-q", "-D", "gone"], clone)

    rows = assert_same_as_dvc(clone, "-A", all_commits=True)
    names = {row["name"] for row in rows.values()}
    assert {"on-remote", "on-gone", "main", "v2.0"} <= names
    assert_same_as_dvc(clone)
    # packed-refs (peeled annotated tags included) read the same as loose refs.
    run(["git", "pack-refs", "--all"], clone)
    assert_same_as_dvc(clone, "-A", all_commits=True)


def test_baseline_names_follow_dvc(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "names", {"params.yaml": "lr: 1\n"})
    revs = [rev_of(root, "HEAD")]
    for lr in (2, 3, 4):
        (root / "params.yaml").write_text(f"lr: {lr}\n")
        revs.append(commit_all(root, f"lr {lr}"))
    run(["git", "tag", "v1.0", revs[0]], root)
    run(["git", "tag", "-a", "v2.0", "-m", "annotated", revs[1]], root)
    run(["git", "branch", "side", revs[2]], root)
    run(["git", "tag", "latest", revs[3]], root)

    # The current branch beats a tag on HEAD; older commits: tags, annotated or not, then
    # branches.
    rows = assert_same_as_dvc(root, "-n", "4", num=4)
    assert [rows[rev]["name"] for rev in reversed(revs)] == ["main", "side", "v2.0", "v1.0"]
    # Detached on HEAD's commit: a tag beats the branch.
    run(["git", "checkout", "-q", "--detach"], root)
    rows = assert_same_as_dvc(root, "-n", "4", num=4)
    assert rows[revs[3]]["name"] == "latest"
    # Detached on a commit with only a branch.
    run(["git", "checkout", "-q", "--detach", revs[2]], root)
    assert_same_as_dvc(root, "-n", "2", num=2)
    # A linked worktree (its `.git` is a file) reads refs through libgit2: the same listing.
    # (DVC itself is no oracle there: it lists no experiments in a linked worktree.)
    worktree = tmp_path / "worktree"
    run(["git", "worktree", "add", "-q", "--detach", str(worktree), revs[2]], root)
    for all_commits in (False, True):
        ours = our_rows(listing(worktree, 4, all_commits))
        assert list(ours) == list(our_rows(listing(root, 4, all_commits)))
        assert ours == our_rows(listing(root, 4, all_commits))

    # Two tags on one commit: DVC picks either, by the order of an unordered set; we take the
    # first by name, every time.
    run(["git", "tag", "a-first", revs[0]], root)
    shown = dvc_rows(root, "-A")
    assert shown[revs[0]]["name"] in {"a-first", "v1.0"}
    assert our_rows(listing(root, all_commits=True))[revs[0]]["name"] == "a-first"


def test_commits_with_equal_times_in_dvc_order(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "ties", {"params.yaml": "lr: 0\n"})

    def commit_at(seconds: int, lr: int) -> str:
        (root / "params.yaml").write_text(f"lr: {lr}\n")
        stamp = f"@{1_700_000_000 + seconds} +0000"
        return commit_all(root, f"lr {lr}", env={"GIT_COMMITTER_DATE": stamp,
                                                 "GIT_AUTHOR_DATE": stamp})  # fmt: skip

    base = commit_at(100, 1)
    for branch in ("a", "b", "c"):
        run(["git", "checkout", "-q", "-b", branch, base], root)
        commit_at(200, ord(branch))
        commit_at(200, ord(branch) + 100)  # a child as old as its parent
    run(["git", "checkout", "-q", "main"], root)
    for lr in range(5, 9):
        commit_at(200, lr)
    run(["git", "tag", "t", base], root)

    assert_same_as_dvc(root, "-A", all_commits=True)
    assert_same_as_dvc(root, "-n", "3", num=3)


def test_num_zero_negative_and_no_commits(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "num")
    (root / "config" / "hparams.yaml").write_text("lr: 0.2\nlayers: 4\nhold: ''\n")
    commit_all(root, "second")
    rows = assert_same_as_dvc(root, "-n", "0", num=0)
    assert list(rows) == ["workspace"]
    rows = assert_same_as_dvc(root, "-n", "-1", num=-1)
    assert len(rows) == 3

    # No commit yet: DVC lists nothing, not even the workspace, and so do we.
    empty = tmp_path / "empty"
    empty.mkdir()
    run(["git", "init", "-q", "-b", "main"], empty)
    run(["dvc", "init", "-q"], empty)
    (empty / "params.yaml").write_text("lr: 1\n")
    assert dvc_rows(empty) == {}
    assert listing(empty) == []
    assert listing(empty, all_commits=True) == []
    for args in (["ls"], ["ls", "--json"], ["ls", "-A"]):
        done = run(["catdog-tui", *args], empty)
        assert "Traceback" not in done.stderr
    assert json.loads(run(["catdog-tui", "ls", "--json"], empty).stdout) == []


def test_paths_leaving_the_repository_are_errors(tmp_path: Path) -> None:
    for name in ("outside.json", "outside-params.json"):
        (tmp_path / name).write_text(json.dumps({"secret": SECRET}))
    root = make_repo(
        tmp_path / "climb",
        {
            "params.yaml": "lr: 1\n",
            "sub/dvc.yaml": "stages: {}\nmetrics:\n  - ../../outside.json\n",
            "dvc.yaml": "metrics:\n  - ../outside.json\nparams:\n  - ../outside-params.json\n",
        },
    )
    rows = assert_same_as_dvc(root)
    for row in rows.values():
        assert row["errors"] == ["../outside-params.json", "../outside.json"]
    ours = listing(root)
    assert all(set(row.errors.values()) == {OUTSIDE} for row in ours)
    assert str(SECRET) not in json.dumps([row.as_json() for row in ours])


def test_hostile_hashes_in_dvc_lock_are_errors(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"secret": SECRET}))
    # The cache object of md5 is `.dvc/cache/files/md5/` + md5[:2] + "/" + md5[2:]: each of
    # these would reach `outside`, one by an absolute path, one by climbing.
    absolute = ".." + str(outside)
    climbing = "xx" + "../" * 30 + str(outside).lstrip("/")
    lock = f"""\
schema: '2.0'
stages:
  evaluate:
    cmd: python evaluate.py
    outs:
    - path: eval
      hash: md5
      md5: 0123456789abcdef0123456789ABCDEZ.dir
    - path: score.json
      hash: md5
      md5: {climbing}
    - path: summary.json
      hash: md5
      md5: {absolute}
"""
    root = make_repo(
        tmp_path / "hostile",
        {
            "params.yaml": "lr: 1\n",
            "dvc.yaml": CACHED_OUTPUTS["dvc.yaml"].replace("sub/out/m.json", "summary.json"),
            "dvc.lock": lock,
        },
    )
    for rows in (listing(root), listing(root, all_commits=True)):
        assert len(rows) == 2
        for row in rows:
            assert row.errors == {
                "eval/metrics.json": BAD_HASH,
                "reports": "missing",
                "score.json": BAD_HASH,
                "summary.json": BAD_HASH,
            }
            assert row.metrics == {}
        assert str(SECRET) not in json.dumps([row.as_json() for row in rows])
