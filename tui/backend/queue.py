"""DVC's experiment queue, read from its files: queued, running and failed entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from tui.backend.gitstore import GitStore
from tui.backend.repo import DvcRepo


@dataclass(frozen=True)
class QueueEntry:
    """One entry of DVC's queue."""

    rev: str
    name: str | None
    baseline: str
    status: Literal["queued", "running", "failed", "success"]
    created: datetime | None = None
    log: str | None = None
    run_root: Path | None = None


def read_queue(repo: DvcRepo, git: GitStore) -> list[QueueEntry]:
    """Every queue entry that `dvc exp show` lists."""
    return []
