"""What each commit holds (params, metrics), kept on disk between processes.

A commit never changes, so its values are computed once per repository, not once per process:
a new `catdog-tui ls` reads one file instead of hundreds of blobs. Kept under `.dvc/tmp`
(ignored by git and DVC), written atomically; a damaged or foreign file is simply rebuilt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui.backend.gitstore import CommitMeta
from tui.backend.values import Values

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Any

FORMAT = 3


class ValueCache:
    """rev -> Values, loaded lazily, saved when something was added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Values] | None = None
        self._commits: CommitMeta = {}
        self._saved_commits = 0
        self._dirty = False

    @property
    def commits(self) -> CommitMeta:
        """Commit times and parents, filled by the GitStore as it reads commits."""
        self._load()
        return self._commits

    def _load(self) -> dict[str, Values]:
        if self._entries is None:
            self._entries = {}
            try:
                data: Any = json.loads(self.path.read_bytes())
                if data.get("format") == FORMAT:
                    self._entries = {rev: Values(**values) for rev, values in data["revs"].items()}
                    self._commits.update(
                        {sha: (meta[0], meta[1]) for sha, meta in data["commits"].items()}
                    )
                    self._saved_commits = len(self._commits)
            except (OSError, ValueError, TypeError, AttributeError, KeyError):
                pass
        return self._entries

    def get(self, rev: str) -> Values | None:
        """The values of a commit, if computed before."""
        return self._load().get(rev)

    def put(self, rev: str, values: Values) -> None:
        """Remember a commit's complete values."""
        self._load()[rev] = values
        self._dirty = True

    def save(self) -> None:
        """Write the file if anything was added; a failure to write only costs speed."""
        if self._entries is None:
            return
        if not self._dirty and len(self._commits) == self._saved_commits:
            return
        payload = {
            "format": FORMAT,
            "revs": {rev: values.as_dict() for rev, values in self._entries.items()},
            "commits": self._commits,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(payload, separators=(",", ":")))
            partial.replace(self.path)
            self._dirty = False
            self._saved_commits = len(self._commits)
        except OSError:
            pass
