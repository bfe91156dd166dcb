"""Git objects read in-process through libgit2 (pygit2), memoised by object id.

pygit2 rather than a `git cat-file --batch` pipe or dulwich: libgit2 reads loose and packed
objects natively, in-process, with no pipe protocol to keep in sync and no pure-Python
zlib/delta work. An object never changes under its id, so everything parsed from one is cached
(commit times and parents across processes too, see `commit_meta`), and a refresh costs only
what is new.

Refs are plain files (loose refs and `packed-refs`) and are read as such: a listing whose
commits are all cached then never loads libgit2, which alone costs 50 ms at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui.backend.errors import BackendError

if TYPE_CHECKING:
    import pygit2

CommitMeta = dict[str, tuple[float, list[str]]]
"""Commit id to (commit time, parent ids)."""


class RefFiles:
    """The refs of a plain `.git` folder, read from its files."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    def all(self) -> dict[str, str]:
        """Every ref to the object it names (loose refs win over packed ones)."""
        refs: dict[str, str] = {}
        try:
            for line in (self.git_dir / "packed-refs").read_text().splitlines():
                if line and line[0] not in "#^":
                    sha, _, name = line.partition(" ")
                    refs[name] = sha
        except OSError:
            pass
        # os.walk and plain open: a thousand experiment refs are a thousand small files.
        git_dir = str(self.git_dir)
        for folder, _dirs, files in os.walk(os.path.join(git_dir, "refs")):  # noqa: PTH118
            prefix = os.path.relpath(folder, git_dir).replace(os.sep, "/")
            for name in files:
                try:
                    with open(os.path.join(folder, name), encoding="ascii") as handle:  # noqa: PTH118, PTH123
                        text = handle.read(64).strip()
                except (OSError, UnicodeDecodeError):
                    continue
                if len(text) == 40:
                    refs[f"{prefix}/{name}"] = text
        return refs

    def head(self, refs: dict[str, str]) -> tuple[str | None, str | None]:
        """(commit id, branch name or None when detached) of HEAD."""
        try:
            text = (self.git_dir / "HEAD").read_text().strip()
        except OSError:
            return None, None
        if text.startswith("ref: "):
            name = text[5:]
            return refs.get(name), name.removeprefix("refs/heads/")
        return text, None


class GitStore:
    """Read-only access to one repository's refs, commits, trees and blobs."""

    def __init__(self, root: Path, commit_meta: CommitMeta | None = None) -> None:
        self.root = root
        git_dir = root / ".git"
        self._ref_files = RefFiles(git_dir) if git_dir.is_dir() else None
        self._repo: pygit2.Repository | None = None
        if self._ref_files is None:
            self.repo  # noqa: B018 - worktrees and submodules: let libgit2 find the git dir
        self.commit_meta: CommitMeta = commit_meta if commit_meta is not None else {}
        self._blobs_by_path: dict[tuple[str, str], str | None] = {}
        self._files_by_tree: dict[str, tuple[str, ...]] = {}
        self._refs: dict[str, str] | None = None

    def refresh(self) -> None:
        """Forget the refs read so far: the next question reads them again."""
        self._refs = None

    def _ref_snapshot(self) -> dict[str, str]:
        assert self._ref_files is not None
        if self._refs is None:
            self._refs = self._ref_files.all()
        return self._refs

    @property
    def repo(self) -> pygit2.Repository:
        """libgit2's view of the repository, opened on first use."""
        if self._repo is None:
            import pygit2

            try:
                self._repo = pygit2.Repository(str(self.root))
            except pygit2.GitError as error:
                raise BackendError(f"{self.root} is not a git repository ({error})") from None
        return self._repo

    def ref_targets(self, prefix: str) -> dict[str, str]:
        """Ref name to commit id, for every ref under `prefix` (e.g. `refs/exps/`)."""
        if self._ref_files is not None:
            return {n: sha for n, sha in self._ref_snapshot().items() if n.startswith(prefix)}
        import pygit2

        targets = {}
        for ref in self.repo.references.iterator():
            if ref.name.startswith(prefix):
                try:
                    targets[ref.name] = str(ref.resolve().target)
                except (pygit2.GitError, KeyError):
                    continue
        return targets

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository with no commit."""
        if self._ref_files is not None:
            return self._ref_files.head(self._ref_snapshot())[0]
        import pygit2

        try:
            return str(self.repo.head.target)
        except (pygit2.GitError, KeyError):
            return None

    def branch(self) -> str | None:
        """The current branch's short name, or None when HEAD is detached."""
        if self._ref_files is not None:
            return self._ref_files.head(self._ref_snapshot())[1]
        if self.repo.head_is_detached or self.repo.head_is_unborn:
            return None
        return str(self.repo.head.shorthand)

    def branches_at(self) -> dict[str, list[str]]:
        """Commit id to the local branch names pointing at it."""
        names: dict[str, list[str]] = {}
        if self._ref_files is not None:
            for ref, sha in sorted(self._ref_snapshot().items()):
                if ref.startswith("refs/heads/"):
                    names.setdefault(sha, []).append(ref.removeprefix("refs/heads/"))
            return names
        for name in self.repo.branches.local:
            branch = self.repo.branches.local[name]
            names.setdefault(str(branch.target), []).append(name)
        return names

    def first_parents(self, rev: str, count: int) -> list[str]:
        """`rev` and its first-parent ancestors: `count` commits at most."""
        revs: list[str] = []
        current: str | None = rev
        while current is not None and len(revs) < count:
            meta = self._meta(current)
            if meta is None:
                break
            revs.append(current)
            current = meta[1][0] if meta[1] else None
        return revs

    def _meta(self, rev: str) -> tuple[float, list[str]] | None:
        meta = self.commit_meta.get(rev)
        if meta is None:
            commit = self.commit(rev)
            if commit is None:
                return None
            meta = (float(commit.commit_time), [str(p) for p in commit.parent_ids])
            self.commit_meta[rev] = meta
        return meta

    def all_commits(self) -> list[str]:
        """Every commit reachable from a branch or tag (not from experiment refs)."""
        import pygit2

        walker = self.repo.walk(None, pygit2.enums.SortMode.TIME)
        for ref in self.repo.references.iterator():
            if ref.name.startswith(("refs/heads/", "refs/tags/")) or ref.name == "HEAD":
                try:
                    target = ref.peel(pygit2.Commit).id
                except (pygit2.GitError, ValueError, KeyError):
                    continue
                walker.push(target)
        head = self.head()
        if head is not None:
            walker.push(pygit2.Oid(hex=head))
        return [str(commit.id) for commit in walker]

    def commit(self, rev: str) -> pygit2.Commit | None:
        """The commit with this id, or None."""
        import pygit2

        try:
            obj = self.repo[rev]
        except (KeyError, ValueError):
            return None
        return obj if isinstance(obj, pygit2.Commit) else None

    def commit_time(self, rev: str) -> datetime | None:
        """When the commit was made (committer time), in local time with its offset."""
        meta = self._meta(rev)
        return datetime.fromtimestamp(meta[0]).astimezone() if meta is not None else None

    def files(self, rev: str) -> tuple[str, ...]:
        """Every file path in a commit's tree (memoised per subtree)."""
        commit = self.commit(rev)
        return self._tree_files(commit.tree) if commit is not None else ()

    def _tree_files(self, tree: pygit2.Tree) -> tuple[str, ...]:
        import pygit2

        key = str(tree.id)
        cached = self._files_by_tree.get(key)
        if cached is not None:
            return cached
        paths: list[str] = []
        for entry in tree:
            if entry.type_str == "tree":
                subtree = self.repo[entry.id]
                assert isinstance(subtree, pygit2.Tree)
                paths.extend(f"{entry.name}/{path}" for path in self._tree_files(subtree))
            elif entry.type_str == "blob":
                paths.append(str(entry.name))
        result = tuple(paths)
        self._files_by_tree[key] = result
        return result

    def blob_id(self, rev: str, path: str) -> str | None:
        """The id of the blob at `path` in commit `rev`, or None if there is none."""
        key = (rev, path)
        if key in self._blobs_by_path:
            return self._blobs_by_path[key]
        commit = self.commit(rev)
        blob_id = None
        if commit is not None:
            try:
                entry = commit.tree[path]
            except KeyError:
                entry = None
            if entry is not None and entry.type_str == "blob":
                blob_id = str(entry.id)
        self._blobs_by_path[key] = blob_id
        return blob_id

    def read_blob(self, blob_id: str) -> bytes:
        """A blob's bytes."""
        import pygit2

        blob = self.repo[blob_id]
        assert isinstance(blob, pygit2.Blob)
        return bytes(blob.data)

    def files_under(self, rev: str, folder: str) -> Iterator[str]:
        """Files of commit `rev` inside `folder`."""
        prefix = folder.rstrip("/") + "/"
        return (path for path in self.files(rev) if path.startswith(prefix))
