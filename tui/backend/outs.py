"""Stage outputs that DVC caches: their content, found through dvc.lock in DVC's local cache.

DVC keeps a cached output out of git (it gitignores it) and records its hash in dvc.lock. A
file's content is the cache object of that hash; a folder's hash ends in `.dir` and names a
manifest, a JSON list of `{relpath, md5}`, of the files inside it. DVC reads metrics there
(through its DVCFileSystem) whenever git or the working tree lacks them: a commit's cached
outputs, or a workspace whose outputs were never checked out.

Hashes and paths here come from repository content (dvc.yaml, dvc.lock) and from cache objects
that a remote may have supplied. Each is checked before it names a file: a hash must be 32 hex
digits, and a path must stay inside the repository, or the output's folder.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tui.backend.formats import UnreadableFile, parse_yaml

_MD5 = re.compile(r"[0-9a-f]{32}")
DIR_SUFFIX = ".dir"

MISSING = "missing"
OUTSIDE = "outside the repository"
NOT_IN_CACHE = "not in the local DVC cache (dvc pull may bring it)"
BAD_HASH = "dvc.lock holds no valid md5 hash for it"


class OutError(ValueError):
    """A cached output that cannot be read; the message is the per-file error."""


class CacheFiles(Protocol):
    """What reading cached outputs needs of a Source."""

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None if there is no such file."""

    def cached(self, md5: str) -> bytes | None:
        """An object of DVC's local cache."""


@dataclass(frozen=True)
class CachedOut:
    """A stage output DVC caches, and where dvc.lock records its hash."""

    path: str
    """Repo-relative, normalised."""
    lockfile: str
    stage: str
    wdir: str
    """The stage's working folder: dvc.lock paths are relative to it."""


def inside_repo(path: str) -> bool:
    """Whether a normalised repo-relative path names something inside the repository."""
    return not (path.startswith("/") or path == ".." or path.startswith("../"))


def is_md5(value: str, *, folder: bool = False) -> bool:
    """Whether `value` is an md5 as DVC writes it (a folder's may end in `.dir`)."""
    if folder and value.endswith(DIR_SUFFIX):
        value = value[: -len(DIR_SUFFIX)]
    return _MD5.fullmatch(value) is not None


def cache_object(dvc_dir: Path, md5: str) -> bytes | None:
    """An object of DVC 3's local cache (`.dvc/cache/files/md5/ab/cdef...`), or DVC 2's."""
    if not is_md5(md5, folder=True):
        # Callers check first; this keeps a hostile value from ever becoming a path.
        raise ValueError(f"not an md5 hash: {md5!r}")
    for candidate in (
        dvc_dir / "cache" / "files" / "md5" / md5[:2] / md5[2:],
        dvc_dir / "cache" / md5[:2] / md5[2:],
    ):
        try:
            return candidate.read_bytes()
        except OSError:
            continue
    return None


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


class CachedReader:
    """Reads files inside cached outputs of one revision; dvc.lock files parsed once each."""

    def __init__(self, source: CacheFiles, outs: list[CachedOut]) -> None:
        self.source = source
        self.outs = outs
        self._locks: dict[str, Any] = {}

    def read(self, path: str) -> list[tuple[str, bytes | None]] | None:
        """The files at or under `path` held in cached outputs, each with its bytes (None when
        not in the local cache); None when no cached output holds `path`.

        Raises OutError when an output holding it cannot be read at all.
        """
        found: list[tuple[str, bytes | None]] = []
        held = False
        for out in self.outs:
            if path == out.path or path.startswith(out.path + "/"):
                held = True
                found.extend(self._files(out, path[len(out.path) + 1 :]))
            elif out.path.startswith(path + "/"):
                held = True
                found.extend(self._files(out, ""))
        return found if held else None

    def _files(self, out: CachedOut, inner: str) -> list[tuple[str, bytes | None]]:
        """The files of `out` at or under `inner` (relative to the output; "" for all)."""
        md5 = self._hash(out)
        if not md5.endswith(DIR_SUFFIX):
            if inner:
                raise OutError(f"{out.path} is a file")
            return [(out.path, self.source.cached(md5))]
        manifest = self.source.cached(md5)
        if manifest is None:
            raise OutError(NOT_IN_CACHE)
        entries = _manifest(manifest)
        if inner in entries:
            return [(_join(out.path, inner), self.source.cached(entries[inner]))]
        prefix = inner + "/" if inner else ""
        inside = sorted(rel for rel in entries if rel.startswith(prefix))
        if inner and not inside:
            raise OutError(MISSING)
        return [(_join(out.path, rel), self.source.cached(entries[rel])) for rel in inside]

    def _hash(self, out: CachedOut) -> str:
        lock = self._lock(out.lockfile)
        stages = lock.get("stages") if isinstance(lock, Mapping) else None
        stage = stages.get(out.stage) if isinstance(stages, Mapping) else None
        outs = stage.get("outs") if isinstance(stage, Mapping) else None
        for entry in outs if isinstance(outs, list) else []:
            if not isinstance(entry, Mapping):
                continue
            if _join(out.wdir, str(entry.get("path"))) != out.path:
                continue
            md5 = entry.get("md5")
            if md5 is None:
                break
            if not isinstance(md5, str) or not is_md5(md5, folder=True):
                raise OutError(BAD_HASH)
            return md5
        # Declared but never produced (or not yet locked): DVC finds nothing either.
        raise OutError(MISSING)

    def _lock(self, lockfile: str) -> Any:
        if lockfile not in self._locks:
            data = self.source.read(lockfile)
            try:
                self._locks[lockfile] = parse_yaml(data) if data is not None else None
            except UnreadableFile:
                self._locks[lockfile] = None
        return self._locks[lockfile]


def _manifest(data: bytes) -> dict[str, str]:
    """relpath to md5 of a `.dir` object; entries that are malformed or leave the folder are
    dropped."""
    try:
        entries = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise OutError("unreadable .dir object in the DVC cache") from None
    files: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        relpath, md5 = entry.get("relpath"), entry.get("md5")
        if not isinstance(relpath, str) or not isinstance(md5, str) or not is_md5(md5):
            continue
        relpath = posixpath.normpath(relpath)
        if inside_repo(relpath) and relpath != ".":
            files[relpath] = md5
    return files
