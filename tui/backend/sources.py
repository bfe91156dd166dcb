"""The two kinds of Source: a commit (read from git objects) and the working tree (from disk)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from tui.backend.dvcignore import DVC_DIR, IGNORE_FILE, IgnoreRules, commit_rules
from tui.backend.gitstore import GitStore
from tui.backend.index import DVCFILE
from tui.backend.outs import cache_object, inside_repo
from tui.backend.valuecache import Signature, signature

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
        """Every dvc.yaml in this commit that DVC reads (not .dvcignored, not in a subrepo)."""
        files = self.git.files(self.rev)
        found = [p for p in files if p.rsplit("/", 1)[-1] == DVCFILE]
        if not found:
            return found
        rules = commit_rules(files, self.read)
        return [p for p in found if not rules.ignored(p)]

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
        self.inputs: dict[str, Signature] | None = {}
        """Every path read or listed so far, to its signature (valuecache.py) when it was: what
        was read from here stays true while they stay the same. None once something else was
        read too (DVC's cache)."""

    def _note(self, path: Path | str) -> None:
        if self.inputs is not None:
            self.inputs.setdefault(str(path), signature(str(path)))

    def read(self, path: str) -> bytes | None:
        """A file's bytes now."""
        if not _inside(path):
            return None
        file = self.root / path
        self._note(file)  # before reading: a write in between shows as a change
        try:
            return file.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def files_under(self, folder: str) -> list[str]:
        """Files on disk inside `folder`."""
        base = self.root / folder
        if not _inside(folder):
            return []
        self._note(base)
        if not base.is_dir():
            return []
        files = []
        for path in base.rglob("*"):
            if path.is_file():
                files.append(str(path.relative_to(self.root).as_posix()))
            elif path.is_dir() and not path.is_symlink():
                self._note(path)  # listed (rglob does not enter linked folders)
        return files

    def dvcfiles(self) -> list[str]:
        """Every dvc.yaml under the root that DVC reads, as DVC walks: .dvcignored folders and
        subrepos pruned, and folders that cannot hold one skipped."""
        if self._dvcfiles is None:
            found = []
            rules = IgnoreRules()
            for folder, dirs, files in os.walk(self.root):
                self._note(folder)  # a new dvc.yaml, .dvcignore or folder changes it
                relative = Path(folder).relative_to(self.root).as_posix()
                relative = "" if relative == "." else relative
                if IGNORE_FILE in files:
                    data = self.read(f"{relative}/{IGNORE_FILE}" if relative else IGNORE_FILE)
                    rules.add(relative, data or b"")
                kept = []
                for name in dirs:
                    path = f"{relative}/{name}" if relative else name
                    if name in _SKIP_DIRS or rules.ignored(path, is_dir=True):
                        continue
                    if (Path(folder) / name / DVC_DIR).exists():
                        rules.add_subrepo(path)
                        self._note(Path(folder) / name)  # until its .dvc goes
                        continue
                    kept.append(name)
                dirs[:] = kept
                path = f"{relative}/{DVCFILE}" if relative else DVCFILE
                if DVCFILE in files and not rules.ignored(path):
                    found.append(path)
            self._dvcfiles = sorted(found)
        return self._dvcfiles

    def cached(self, md5: str) -> bytes | None:
        """An object of the local DVC cache."""
        self.inputs = None  # objects may arrive (`dvc pull`): not worth tracking, it is rare
        return cache_object(self.dvc_dir, md5)


def _inside(path: str) -> bool:
    # Paths come from dvc.yaml: one that climbs out of the root must not reach the disk.
    return inside_repo(posixpath.normpath(path))
