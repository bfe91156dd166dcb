"""Git objects read in-process through libgit2 (pygit2), memoised by object id.

pygit2 rather than a `git cat-file --batch` pipe or dulwich: libgit2 reads loose and packed
objects natively, in-process, with no pipe protocol to keep in sync and no pure-Python
zlib/delta work. An object never changes under its id, so everything parsed from one is cached
for the life of the process, and a refresh costs only what is new.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pygit2

from tui.backend.errors import BackendError


class GitStore:
    """Read-only access to one repository's refs, commits, trees and blobs."""

    def __init__(self, root: Path) -> None:
        try:
            self.repo = pygit2.Repository(str(root))
        except pygit2.GitError as error:
            raise BackendError(f"{root} is not a git repository ({error})") from None
        self._blobs_by_path: dict[tuple[str, str], str | None] = {}
        self._files_by_tree: dict[str, tuple[str, ...]] = {}

    def ref_targets(self, prefix: str) -> dict[str, str]:
        """Ref name to commit id, for every ref under `prefix` (e.g. `refs/exps/`)."""
        targets = {}
        for ref in self.repo.references.iterator():
            if ref.name.startswith(prefix):
                try:
                    targets[ref.name] = str(ref.resolve().target)
                except (pygit2.GitError, KeyError):
                    continue
        return targets

    def reflog(self, ref_name: str) -> list[tuple[str, str]]:
        """(commit id, message) of a ref's reflog, newest first."""
        try:
            ref = self.repo.references[ref_name]
        except (KeyError, pygit2.GitError):
            return []
        return [(str(entry.oid_new), entry.message or "") for entry in ref.log()]

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository with no commit."""
        try:
            return str(self.repo.head.target)
        except (pygit2.GitError, KeyError):
            return None

    def branch(self) -> str | None:
        """The current branch's short name, or None when HEAD is detached."""
        if self.repo.head_is_detached or self.repo.head_is_unborn:
            return None
        return str(self.repo.head.shorthand)

    def branches_at(self) -> dict[str, list[str]]:
        """Commit id to the local branch names pointing at it."""
        names: dict[str, list[str]] = {}
        for name in self.repo.branches.local:
            branch = self.repo.branches.local[name]
            names.setdefault(str(branch.target), []).append(name)
        return names

    def first_parents(self, rev: str, count: int) -> list[str]:
        """`rev` and its first-parent ancestors: `count` commits at most."""
        revs: list[str] = []
        commit = self.commit(rev)
        while commit is not None and len(revs) < count:
            revs.append(str(commit.id))
            commit = self.commit(str(commit.parent_ids[0])) if commit.parent_ids else None
        return revs

    def all_commits(self) -> list[str]:
        """Every commit reachable from a branch or tag (not from experiment refs)."""
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
        try:
            obj = self.repo[rev]
        except (KeyError, ValueError):
            return None
        return obj if isinstance(obj, pygit2.Commit) else None

    def commit_time(self, rev: str) -> datetime | None:
        """When the commit was made, as an aware datetime in the committer's offset."""
        commit = self.commit(rev)
        if commit is None:
            return None
        return datetime.fromtimestamp(commit.commit_time).astimezone()

    def files(self, rev: str) -> tuple[str, ...]:
        """Every file path in a commit's tree (memoised per subtree)."""
        commit = self.commit(rev)
        return self._tree_files(commit.tree) if commit is not None else ()

    def _tree_files(self, tree: pygit2.Tree) -> tuple[str, ...]:
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
        blob = self.repo[blob_id]
        assert isinstance(blob, pygit2.Blob)
        return bytes(blob.data)

    def files_under(self, rev: str, folder: str) -> Iterator[str]:
        """Files of commit `rev` inside `folder`."""
        prefix = folder.rstrip("/") + "/"
        return (path for path in self.files(rev) if path.startswith(prefix))
