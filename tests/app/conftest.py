"""A small real repository with two finished experiments, for the app's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backend.repos import make_repo
from tests.conftest import run


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Experiments `alpha` (lr 0.2) and `beta` (lr 0.3) over one baseline."""
    root = make_repo(tmp_path / "repo")
    run(["dvc", "exp", "run", "-n", "alpha", "-S", "config/hparams.yaml:lr=0.2"], root)
    run(["dvc", "exp", "run", "-n", "beta", "-S", "config/hparams.yaml:lr=0.3"], root)
    return root
