"""Git objects read in-process through libgit2 (pygit2), memoised by object id.

pygit2 rather than a `git cat-file --batch` pipe or dulwich: libgit2 reads loose and packed
objects natively, in-process, with no pipe protocol to keep in sync and no pure-Python
zlib/delta work. An object never changes under its id, so everything parsed from one is cached
(commit times and parents across processes too, see `commit_meta`), and a refresh costs only
what is new.

Refs are plain files (loose refs and `packed-refs`) and are read as such: a listing whose
commits are all cached then never loads libgit2, which alone costs 50 ms at start-up.

Which commits `dvc exp show` lists, and by what name, follows DVC (dvc/scm.py `iter_revs`,
scmrepo's `list_all_commits`, dvc/repo/experiments/utils.py `describe`); see `all_commits`
and `names`.
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from tui.backend.errors import BackendError

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    import pygit2

CommitMeta = dict[str, tuple[float, list[str]]]
"""Commit id to (commit time, parent ids)."""
_NAMING_REFS = ("refs/heads/", "refs/tags/")


_RACY_NS = 2_000_000_000
"""A folder's mtime may not move for a change within the same clock tick: a folder changed
this recently is read again whatever its mtime says (git's "racily clean" rule)."""

_Folder = tuple[int, list[tuple[str, str]], list[str]]
"""A refs folder as last read: its mtime, its refs (name, first bytes), its subfolders."""


def _loose_refs(git_dir: str, kept: dict[str, _Folder] | None = None) -> Iterator[tuple[str, str]]:
    """(name, first bytes as text) of every file under `refs/`.

    A thousand experiment refs are a thousand small files, in a folder per baseline: scandir
    and os.read, not os.walk (and its relpath per folder) and open() (a file object per ref).
    Measured: 500 refs in one folder 6.7 ms that way, 2.6 ms this way; 920 refs in 490
    folders (`-A` over 300 commits) 21 ms, 9.4 ms.

    `kept`: folders read before, reused while their mtime stands (git writes a ref to a lock
    file and renames it, which changes the folder's mtime); 2000 refs in 20 ms otherwise.
    """
    folders = ["refs"]
    now = time.time_ns()
    while folders:
        folder = folders.pop()
        path = os.path.join(git_dir, folder)  # noqa: PTH118
        if kept is not None:
            try:
                mtime = os.stat(path).st_mtime_ns  # noqa: PTH116
            except OSError:
                kept.pop(folder, None)
                continue
            before = kept.get(folder)
            if before is not None and before[0] == mtime and now - mtime > _RACY_NS:
                yield from before[1]
                folders.extend(before[2])
                continue
        found, subfolders = _read_folder(path, folder)
        if kept is not None:
            kept[folder] = (mtime, found, subfolders)
        yield from found
        folders.extend(subfolders)


def _read_folder(path: str, folder: str) -> tuple[list[tuple[str, str]], list[str]]:
    found: list[tuple[str, str]] = []
    subfolders: list[str] = []
    try:
        entries = os.scandir(path)
    except OSError:
        return found, subfolders
    with entries:
        for entry in entries:
            name = f"{folder}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(name)
                continue
            try:
                descriptor = os.open(entry.path, os.O_RDONLY)
                try:
                    data = os.read(descriptor, 64)
                finally:
                    os.close(descriptor)
                found.append((name, data.decode("ascii").strip()))
            except (OSError, UnicodeDecodeError):
                continue  # gone since listed, a link to a folder, not a ref
    return found, subfolders


class RefFiles:
    """The refs of a plain `.git` folder, read from its files."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.peeled: dict[str, str] = {}
        """Annotated tag object to the commit it tags, as `packed-refs` records them."""
        self._folders: dict[str, _Folder] = {}

    def _packed(self) -> dict[str, str]:
        refs: dict[str, str] = {}
        try:
            lines = (self.git_dir / "packed-refs").read_text().splitlines()
        except OSError:
            return refs
        name = None
        for line in lines:
            if line.startswith("^") and name is not None:
                self.peeled[refs[name]] = line[1:].strip()
            elif line and line[0] != "#":
                sha, _, name = line.partition(" ")
                refs[name] = sha
        return refs

    def all(self) -> dict[str, str]:
        """Every ref to the object it names (loose refs win over packed ones; symbolic refs
        resolved)."""
        refs = self._packed()
        symbolic: dict[str, str] = {}
        for name, text in _loose_refs(str(self.git_dir), self._folders):
            if len(text) == 40:
                refs[name] = text
            elif text.startswith("ref: "):
                symbolic[name] = text[5:]
        for name, target in symbolic.items():
            # e.g. refs/remotes/origin/HEAD; a chain of symbolic refs is left out.
            if target in refs:
                refs[name] = refs[target]
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
        self._peeled: dict[str, str | None] = {}

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

    def refs(self) -> dict[str, str]:
        """Every ref to the object it names: a commit, or an annotated tag (see `peel`)."""
        if self._ref_files is not None:
            return self._ref_snapshot()
        if self._refs is None:
            import pygit2

            self._refs = {}
            for ref in self.repo.references.iterator():
                try:
                    self._refs[ref.name] = str(ref.resolve().target)
                except (pygit2.GitError, KeyError):
                    continue
        return self._refs

    def ref_targets(self, prefix: str) -> dict[str, str]:
        """Ref name to the object it names, for every ref under `prefix` (e.g. `refs/exps/`)."""
        return {name: sha for name, sha in self.refs().items() if name.startswith(prefix)}

    def peel(self, sha: str) -> str | None:
        """The commit a ref's object leads to (itself, or what an annotated tag tags)."""
        if sha in self.commit_meta:
            return sha
        if self._ref_files is not None:
            self._ref_snapshot()
            peeled = self._ref_files.peeled.get(sha)
            if peeled is not None:
                return peeled
        if sha not in self._peeled:
            self._peeled[sha] = self._peel_object(sha)
        return self._peeled[sha]

    def _peel_object(self, sha: str) -> str | None:
        import pygit2

        try:
            commit = self.repo[sha].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return None  # a tag of a tree or blob, or a dangling ref
        return str(commit.id)

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

    def names(self, revs: Iterable[str]) -> dict[str, str | None]:
        """What `dvc exp show` calls each commit (its `describe`): the current branch where
        HEAD is on it, else a tag, else a local branch, else nothing. Short names (`v1.0`,
        `main`); remote-tracking branches never name a commit.

        Where several tags (or branches) qualify, DVC takes whichever its unordered ref set
        yields first, which varies between runs; here it is the first by name.
        """
        head, branch = self.head(), self.branch()
        names: dict[str, str | None] = dict.fromkeys(revs)
        unnamed = set(names)
        if branch is not None and head in unnamed:
            names[head] = branch
            unnamed.discard(head)
        if not unnamed:
            return names  # the common case: no tag needs peeling, so libgit2 stays unloaded
        tags: dict[str, str] = {}
        branches: dict[str, str] = {}
        named = (item for item in self.refs().items() if item[0].startswith(_NAMING_REFS))
        for ref, sha in sorted(named):
            if ref.startswith("refs/heads/"):
                branches.setdefault(sha, ref.removeprefix("refs/heads/"))
            elif ref.startswith("refs/tags/"):
                # A lightweight tag of a wanted commit needs no peeling; any other might be
                # an annotated tag of one.
                commit = sha if sha in unnamed else self.peel(sha)
                if commit is not None:
                    tags.setdefault(commit, ref.removeprefix("refs/tags/"))
        for rev in unnamed:
            names[rev] = tags.get(rev) or branches.get(rev)
        return names

    def first_parents(self, rev: str, count: int | None) -> list[str]:
        """`rev` and its first-parent ancestors: `count` commits at most (None: all)."""
        revs: list[str] = []
        current: str | None = rev
        while current is not None and (count is None or len(revs) < count):
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
        """Every commit reachable from HEAD, a local or remote-tracking branch, or a tag (not
        from experiment refs), in the order `dvc exp show -A` lists them."""
        starts = {self.head()}
        for ref, sha in self.refs().items():
            if ref.startswith(("refs/heads/", "refs/remotes/", "refs/tags/")):
                starts.add(self.peel(sha))
        return self._date_order(sha for sha in starts if sha is not None)

    def _date_order(self, starts: Iterable[str]) -> list[str]:
        # DVC lists them through dulwich's date-ordered walker (scmrepo's dulwich
        # `list_all_commits`): a priority queue of the commits whose children were listed,
        # newest commit time first and, between equal times, the lower id first.
        queue: list[tuple[float, str]] = []
        queued: set[str] = set()

        def push(sha: str) -> None:
            meta = self._meta(sha)
            if meta is not None and sha not in queued:
                queued.add(sha)
                heapq.heappush(queue, (-meta[0], sha))

        for sha in starts:
            push(sha)
        order: list[str] = []
        while queue:
            _, sha = heapq.heappop(queue)
            order.append(sha)
            for parent in self.commit_meta[sha][1]:
                push(parent)
        return order

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
