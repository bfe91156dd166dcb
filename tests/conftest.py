"""Fixtures: an environment that never reaches the network, and scratch copies of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PROJECT_FILES = ("dvc.yaml", ".dvcignore", ".gitignore", ".dvc/config")
PARAMS = ROOT / "tests" / "fixtures" / "params.yaml"
"""The project's params as committed, copied: `catdog-tui apply` rewrites the live file."""

# Tests commit: give git an author of their own, since CI's machine may have none.
TEST_ENV = {
    "DVC_NO_ANALYTICS": "1",
    "DVCLIVE_OPEN": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "GIT_AUTHOR_NAME": "catdog tests",
    "GIT_AUTHOR_EMAIL": "tests@catdog.invalid",
    "GIT_COMMITTER_NAME": "catdog tests",
    "GIT_COMMITTER_EMAIL": "tests@catdog.invalid",
    # Images drawn in half-blocks: the same pictures whatever terminal runs the tests.
    "CATDOG_TUI_IMAGES": "halfcell",
}


@pytest.fixture(autouse=True)
def _offline_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    # `python` and `dvc` in stage commands must be this environment's.
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def run(
    command: list[str], cwd: Path, *, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with the test environment; on failure show its output."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        pytest.fail(f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def copy_project(target: Path) -> Path:
    """Copy the pipeline (code, params, dvc.yaml, DVC config) into a new git repository."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    shutil.copy2(PARAMS, target / "params.yaml")
    shutil.copytree(
        ROOT / "training", target / "training", ignore=shutil.ignore_patterns("__pycache__")
    )
    run(["git", "init", "-q", "-b", "main"], target)
    run(["git", "add", "-A"], target)
    run(["git", "commit", "-q", "-m", "project"], target)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A fresh git + DVC copy of this project."""
    yield copy_project(tmp_path / "project")
