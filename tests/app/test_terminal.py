"""The real `catdog-tui` in a real terminal (tmux), keys pressed and the screen read as a person."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.repos import make_repo
from tests.conftest import VENV_BIN, run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for_text(session: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = screen(session)
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")
        time.sleep(0.2)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = make_repo(tmp_path / "repo")
    run(["dvc", "exp", "run", "-n", "gamma", "-S", "config/hparams.yaml:lr=0.25"], root)
    name = f"catdog-{tmp_path.name}"
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(root),
         str(VENV_BIN / "catdog-tui"))  # fmt: skip
    try:
        yield name, root
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


def test_a_person_sees_experiments_selects_one_and_quits(session: tuple[str, Path]) -> None:
    name, _root = session
    shown = wait_for_text(name, "gamma")
    assert "Experiment" in shown and "running" in shown  # the header counts runs
    tmux("send-keys", "-t", name, "j", "j", "space", "4")
    wait_for_text(name, "Select two experiments")
    tmux("send-keys", "-t", name, "?")
    wait_for_text(name, "catdog-tui keys")
    tmux("send-keys", "-t", name, "Escape")
    # Escape and a key right after it would read as alt+key: wait for the help to close.
    deadline = time.monotonic() + 20
    while "catdog-tui keys" in screen(name):
        assert time.monotonic() < deadline, "escape did not close the help"
        time.sleep(0.2)
    tmux("send-keys", "-t", name, "q")
    deadline = time.monotonic() + 20
    while subprocess.run(["tmux", "has-session", "-t", name], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "the app did not quit on q"
        time.sleep(0.2)
