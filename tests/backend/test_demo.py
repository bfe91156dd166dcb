"""The demo project: what it holds, and that it stays out of the repository it is made in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run
from tui.backend.demo import make_demo
from tui.backend.paramscheck import check_command
from tui.backend.service import Backend


def test_a_demo_inside_a_clone_is_its_own_repository_and_ignored_there(tmp_path: Path) -> None:
    outer = tmp_path / "clone"
    outer.mkdir()
    run(["git", "init", "-q", "-b", "main"], outer)
    run(["dvc", "init", "-q"], outer)
    (outer / "params.yaml").write_text("lr: 0.1\n")
    run(["git", "add", "-A"], outer)
    run(["git", "commit", "-q", "-m", "outer"], outer)
    repo = make_demo(outer / "catdog-demo")
    assert run(["git", "status", "--porcelain"], outer).stdout == "", "nothing new in the clone"
    assert run(["git", "status", "--porcelain"], repo.root).stdout == "", "the demo is committed"
    assert check_command(repo.root) == ["python", "-m", "training.params", "{params}"]
    make_demo(outer / "second")
    assert run(["git", "status", "--porcelain"], outer).stdout == ""
    exclude = (outer / ".git" / "info" / "exclude").read_text()
    workspace = Backend.discover(outer).experiments()[0]
    assert list(workspace.params) == ["params.yaml"], "the demo's files are its own, as in DVC"
    assert workspace.metrics == {}
    assert exclude.count("/catdog-demo/") == 1 and "/second/" in exclude


def test_without_the_training_extra_the_demo_is_one_line_and_makes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from tui.backend.errors import BackendError

    # TensorFlow is installed here (the suite trains): hide it, as an app-only install lacks it.
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "tensorflow" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(BackendError, match=r"lacks tensorflow: install the pipeline's extra"):
        make_demo(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()
