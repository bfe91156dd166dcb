"""Refs read from their files, folders reused while their mtime stands: every change git
makes to a ref is seen by the next read, old or racily recent."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend.gitstore import RefFiles


def _age(folder: Path, seconds: float) -> None:
    """Move the mtime of `folder` and every folder under it into the past."""
    past = time.time() - seconds
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        os.utime(path, (past, past))


def test_a_ref_moved_by_git_is_seen_after_its_folder_was_kept(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"a.txt": "a"})
    head = run(["git", "rev-parse", "HEAD"], root).stdout.strip()
    run(["git", "update-ref", "refs/exps/ab/cd/one", head], root)
    refs = RefFiles(root / ".git")
    _age(root / ".git" / "refs", 60)
    assert refs.all()["refs/exps/ab/cd/one"] == head  # read, and its folders kept
    assert refs.all()["refs/exps/ab/cd/one"] == head  # from the kept folders

    (root / "b.txt").write_text("b")
    run(["git", "add", "b.txt"], root)
    run(["git", "commit", "-q", "-m", "b"], root)
    second = run(["git", "rev-parse", "HEAD"], root).stdout.strip()
    run(["git", "update-ref", "refs/exps/ab/cd/one", second], root)
    run(["git", "update-ref", "refs/exps/ab/cd/two", second], root)
    listed = refs.all()
    assert listed["refs/exps/ab/cd/one"] == second
    assert listed["refs/exps/ab/cd/two"] == second
    assert listed["refs/heads/main"] == second

    run(["git", "update-ref", "-d", "refs/exps/ab/cd/one"], root)
    assert "refs/exps/ab/cd/one" not in refs.all()


def test_a_folder_changed_within_the_racy_window_is_read_again(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"a.txt": "a"})
    head = run(["git", "rev-parse", "HEAD"], root).stdout.strip()
    run(["git", "update-ref", "refs/exps/ab/cd/one", head], root)
    refs = RefFiles(root / ".git")
    assert refs.all()["refs/exps/ab/cd/one"] == head
    folder = root / ".git" / "refs" / "exps" / "ab" / "cd"
    mtime = folder.stat().st_mtime_ns
    # A same-second rewrite that leaves the folder's mtime as it was (a coarse clock).
    (folder / "one").write_text("0" * 40 + "\n")
    os.utime(folder, ns=(mtime, mtime))
    assert refs.all()["refs/exps/ab/cd/one"] == "0" * 40
