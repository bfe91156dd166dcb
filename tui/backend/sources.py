"""The two kinds of Source: a commit (read from git objects) and the working tree (from disk)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from tui.backend.gitstore import GitStore
from tui.backend.index import DVCFILE
from tui.backend.outs import cache_object, inside_repo

# Folders that never hold a dvc.yaml worth reading, and may be huge.
_SKIP_DIRS = frozenset({".git", ".dvc", ".venv", "venv", "node_modules", "__pycache__"})


class CommitSource:
    """Files of one commit."""

    def __init__(self, git: GitStore, rev: str, dvc_dir: Path) -> None:
        self.git, self.rev, self.dvc_dir = git, rev, dvc_dir
        self.missed_cache = False
        """Whether something was looked for in DVC's cache and not found: what was read then
        is not final, since `dvc pull` or a run may bring the object later."""

    def read(self, path: str) -> bytes | None:
        """A file's bytes at this commit."""
        blob_id = self.git.blob_id(self.rev, path)
        return self.git.read_blob(blob_id) if blob_id is not None else None

    def files_under(self, folder: str) -> list[str]:
        """Files of this commit inside `folder`."""
        return list(self.git.files_under(self.rev, folder))

    def dvcfiles(self) -> list[str]:
        """Every dvc.yaml in this commit."""
        return [p for p in self.git.files(self.rev) if p.rsplit("/", 1)[-1] == DVCFILE]

    def cached(self, md5: str) -> bytes | None:
        """An object of the local DVC cache."""
        data = cache_object(self.dvc_dir, md5)
        if data is None:
            self.missed_cache = True
        return data


class WorkspaceSource:
    """Files of a working tree on disk: the workspace, or a queued run's temporary copy."""

    def __init__(self, root: Path, dvc_dir: Path) -> None:
        self.root, self.dvc_dir = root, dvc_dir
        self._dvcfiles: list[str] | None = None

    def read(self, path: str) -> bytes | None:
        """A file's bytes now."""
        if not _inside(path):
            return None
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def files_under(self, folder: str) -> list[str]:
        """Files on disk inside `folder`."""
        base = self.root / folder
        if not _inside(folder) or not base.is_dir():
            return []
        return [
            str(path.relative_to(self.root).as_posix())
            for path in base.rglob("*")
            if path.is_file()
        ]

    def dvcfiles(self) -> list[str]:
        """Every dvc.yaml under the root, skipping folders that cannot hold one."""
        if self._dvcfiles is None:
            found = []
            for folder, dirs, files in os.walk(self.root):
                dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
                if DVCFILE in files:
                    found.append((Path(folder) / DVCFILE).relative_to(self.root).as_posix())
            self._dvcfiles = sorted(found)
        return self._dvcfiles

    def cached(self, md5: str) -> bytes | None:
        """An object of the local DVC cache."""
        return cache_object(self.dvc_dir, md5)


def _inside(path: str) -> bool:
    # Paths come from dvc.yaml: one that climbs out of the root must not reach the disk.
    return inside_repo(posixpath.normpath(path))
