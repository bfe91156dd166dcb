"""What each commit holds (params, metrics), kept on disk between processes.

A commit never changes, so its values are computed once per repository, not once per process:
a new `catdog-tui ls` reads one file instead of hundreds of blobs. Kept under `.dvc/tmp`
(ignored by git and DVC), written atomically; a damaged or foreign file is simply rebuilt.

The workspace's values are kept too, with the signature (`os.stat`: type, size, mtime, ctime,
inode) of every file and folder they were read from: while none has changed, a new process
reads no YAML, and so never imports a YAML parser (imports are most of a cached `ls`). Values
read from a file changed in the last seconds are not kept (see `RACY_NS`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tui.backend.gitstore import CommitMeta
from tui.backend.values import Values

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Any

FORMAT = 3
Signature = list[int] | None
"""What `signature` says of a path: None where there is nothing."""
RACY_NS = 2_000_000_000
"""A file's timestamps may not change on a write within the same clock tick (a few ms on
Linux, 2 s on FAT): values read from a file this recent might be replaced by a same-sized write
that leaves its signature as it was, so they are not kept (git's "racily clean" rule)."""


def signature(path: str) -> Signature:
    """Type, size, modification and change times, inode of `path`; None when it is missing."""
    try:
        st = os.stat(path)  # noqa: PTH116 - a str in hand; a Path object costs more
    except (OSError, ValueError):
        return None
    return [st.st_mode >> 12, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class ValueCache:
    """rev -> Values, loaded lazily, saved when something was added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Values] | None = None
        self._commits: CommitMeta = {}
        self._workspaces: dict[str, Any] = {}
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
                    workspaces = data.get("workspaces", {})
                    self._workspaces = workspaces if isinstance(workspaces, dict) else {}
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

    def workspace(self, root: str) -> Values | None:
        """The values of the working tree at `root`, if every path they were read from is as
        it was then."""
        self._load()
        entry: Any = self._workspaces.get(root)
        try:
            if all(signature(path) == kept for path, kept in entry["inputs"].items()):
                return Values(**entry["values"])
        except (TypeError, KeyError, AttributeError):
            pass
        return None

    def put_workspace(self, root: str, inputs: dict[str, Signature] | None, values: Values) -> None:
        """Remember the values of the working tree at `root`, read from `inputs` (paths to
        their signatures taken before reading; None: from more than files, do not keep)."""
        self._load()
        recent = time.time_ns() - RACY_NS
        if inputs is None or any(s and max(s[2], s[3]) > recent for s in inputs.values()):
            if self._workspaces.pop(root, None) is not None:
                self._dirty = True
            return
        self._workspaces[root] = {"inputs": inputs, "values": values.as_dict()}
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
            "workspaces": self._workspaces,
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
