"""The workspace's values kept on disk: reused while its files are unchanged, never after."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest

from bench.fixtures import make_repo
from tests.conftest import run
from tui.backend import valuecache
from tui.backend.experiments import ExperimentIndex
from tui.backend.repo import find_repo

# What a cached `catdog-tui ls` must not import (each was measured on its path before).
HEAVY = (
    "yaml", "tomllib", "dataclasses", "typing", "tui.backend.index", "tui.backend.sources",
    "tui.backend.pipeline", "tui.backend.formats", "tui.backend.service", "tui.display",
)  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Files this test writes are kept once 50 ms old, not 2 s.
    monkeypatch.setattr(valuecache, "RACY_NS", 50_000_000)
    return make_repo(tmp_path / "repo", 2)


def settle() -> None:
    time.sleep(0.1)


def workspace(root: Path) -> dict[str, dict[str, object]]:
    """The workspace row's params of a listing by a new index (as a new process makes)."""
    return ExperimentIndex(find_repo(root)).list()[0].params


def not_read() -> mock._patch[mock.MagicMock]:
    return mock.patch("tui.backend.index.read_values", side_effect=AssertionError("read"))


def test_unchanged_workspace_is_not_read_again(repo: Path) -> None:
    settle()
    first = workspace(repo)
    with not_read():
        assert workspace(repo) == first
    text = (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(text.replace("batch_size: 32", "batch_size: 64"))
    assert workspace(repo)["params.yaml"]["train.batch_size"] == 64  # same size, new values
    settle()
    assert workspace(repo)["params.yaml"]["train.batch_size"] == 64
    with not_read():
        assert workspace(repo)["params.yaml"]["train.batch_size"] == 64


def test_a_new_pipeline_in_a_folder_is_seen(repo: Path) -> None:
    (repo / "sub").mkdir()
    settle()
    workspace(repo)
    (repo / "sub" / "dvc.yaml").write_text("params:\n  - extra.yaml\n")
    (repo / "sub" / "extra.yaml").write_text("seed: 3\n")
    assert workspace(repo)["sub/extra.yaml"] == {"seed": 3}


def test_a_file_that_appears_is_seen(repo: Path) -> None:
    settle()
    rows = ExperimentIndex(find_repo(repo)).list()
    assert rows[0].errors == {"dvclive/metrics.json": "missing"}
    (repo / "dvclive").mkdir()
    (repo / "dvclive" / "metrics.json").write_text('{"acc": 0.5}')
    rows = ExperimentIndex(find_repo(repo)).list()
    assert rows[0].metrics == {"dvclive/metrics.json": {"acc": 0.5}}
    assert rows[0].errors == {}


def test_files_written_just_now_are_not_kept(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(valuecache, "RACY_NS", 3_600 * 10**9)
    workspace(repo)
    index = ExperimentIndex(find_repo(repo))
    assert index._stored.workspace(str(repo)) is None


def test_a_cached_listing_imports_no_reader(repo: Path) -> None:
    settle()
    ExperimentIndex(find_repo(repo)).list()  # fills the cache, commits and workspace
    probe = (
        "import sys\n"
        "from tui.cli import main\n"
        "code = main(['ls', '--json'])\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = run(["python", "-c", probe], repo)
    assert done.stderr.strip() == "[]"
    assert len(done.stdout.splitlines()) == 1  # the listing itself
