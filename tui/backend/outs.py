"""Stage outputs that DVC caches: their content, found through dvc.lock in DVC's local cache.

DVC keeps a cached output out of git (it gitignores it) and records its hash in dvc.lock
(dvc/stage/serialize.py, dvc/output.py), its path there relative to its stage's `wdir`. A
file's content is the cache object of that hash; a folder's hash ends in `.dir` and names a
manifest, a JSON list of `{relpath, md5}`, of the files inside it (a lock written for cloud
versioning may list those entries inline, under `files`). DVC 3 keeps objects under
`.dvc/cache/files/md5/ab/cdef...`, DVC 2 under `.dvc/cache/ab/cdef...`. DVC reads metrics and
plots there (through its DVCFileSystem) whenever git or the working tree lacks them: a
commit's cached outputs, or a workspace whose outputs were never checked out.

Two ways in: the listing reads metrics inside the outputs dvc.yaml declares (a `CachedReader`
over `index.outs`, each failure a per-file error); the plots read a commit's files with every
output its dvc.lock files record laid over them (`WithOutputs`).

Hashes and paths here come from repository content (dvc.yaml, dvc.lock) and from cache objects
that a remote may have supplied. Each is checked before it names a file: a hash must be 32 hex
digits, and a path must stay inside the repository, or the output's folder.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tui.backend.formats import UnreadableFile, parse_yaml
from tui.backend.pipeline import DVCFILE, LOCKFILE, load_pipeline

if TYPE_CHECKING:
    from tui.backend.index import Source

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


def _object_paths(dvc_dir: Path, md5: str) -> tuple[Path, Path]:
    if not is_md5(md5, folder=True):
        # Callers check first; this keeps a hostile value from ever becoming a path.
        raise ValueError(f"not an md5 hash: {md5!r}")
    return (
        dvc_dir / "cache" / "files" / "md5" / md5[:2] / md5[2:],
        dvc_dir / "cache" / md5[:2] / md5[2:],
    )


def cache_object(dvc_dir: Path, md5: str) -> bytes | None:
    """An object of DVC 3's local cache (`.dvc/cache/files/md5/ab/cdef...`), or DVC 2's."""
    for candidate in _object_paths(dvc_dir, md5):
        try:
            return candidate.read_bytes()
        except OSError:
            continue
    return None


def cache_path(dvc_dir: Path, md5: str) -> Path | None:
    """Where DVC 3 (or else DVC 2) keeps a cache object, if it is there: for reading a big
    object in pieces rather than whole."""
    return next((path for path in _object_paths(dvc_dir, md5) if path.is_file()), None)


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


class CachedReader:
    """Finds files inside cached outputs of one revision; dvc.lock files parsed once each,
    manifests read once each."""

    def __init__(self, source: CacheFiles, outs: list[CachedOut]) -> None:
        self.source = source
        self.outs = outs
        self._locks: dict[str, Any] = {}
        self._manifests: dict[str, dict[str, str]] = {}

    @classmethod
    def locked(cls, source: Source) -> CachedReader:
        """A reader of every output that the dvc.lock beside each dvc.yaml of `source`
        records, whether or not the cache holds it, at its path from its stage's `wdir` as DVC
        resolves it (templating included; `pipeline.load_pipeline`)."""
        reader = cls(source, [])
        for dvcfile in source.dvcfiles():
            folder = posixpath.dirname(dvcfile)
            lockfile = _join(folder, LOCKFILE)
            lock = reader._lock(lockfile)
            stages = lock.get("stages") if isinstance(lock, Mapping) else None
            if not isinstance(stages, Mapping):
                continue
            # A generated stage is locked under its `name@key`, as load_pipeline names it.
            declared = load_pipeline(source, dvcfile).stages
            for name, stage in stages.items():
                definition = declared.get(name)
                wdir = definition.get("wdir") if isinstance(definition, Mapping) else None
                wdir = _join(folder, str(wdir or "."))
                outs = stage.get("outs") if isinstance(stage, Mapping) else None
                for entry in outs if isinstance(outs, list) else []:
                    path = entry.get("path") if isinstance(entry, Mapping) else None
                    if isinstance(path, str) and inside_repo(_join(wdir, path)):
                        reader.outs.append(CachedOut(_join(wdir, path), lockfile, name, wdir))
        return reader

    def read(self, path: str) -> list[tuple[str, bytes | None]] | None:
        """The files at or under `path` held in cached outputs, each with its bytes (None when
        not in the local cache); None when no cached output holds `path`.

        Raises OutError when an output holding it cannot be read at all.
        """
        located = self.locate(path)
        if located is None:
            return None
        return [(file, self.source.cached(md5)) for file, md5 in located]

    def locate(self, path: str) -> list[tuple[str, str]] | None:
        """`read`, with each file's hash in place of its bytes: nothing is read but dvc.lock
        and manifests."""
        found: list[tuple[str, str]] = []
        held = False
        for out, inner in self._holding(path):
            held = True
            found.extend(self._files(out, inner))
        return found if held else None

    def md5_of(self, path: str) -> str | None:
        """The hash of the file at `path` inside a cached output, if dvc.lock (or the
        manifest it names) records a valid one."""
        path = posixpath.normpath(path)
        try:
            return dict(self.locate(path) or ()).get(path)
        except OutError:
            return None

    def files_under(self, folder: str) -> list[str]:
        """The files inside `folder` ("" for all) held in cached outputs, whether or not the
        cache holds them; an output that cannot be read holds none."""
        folder = posixpath.normpath(folder) if folder else ""
        found: list[str] = []
        for out, inner in self._holding(folder):
            try:
                files = self._files(out, inner)
            except OutError:
                continue
            found.extend(file for file, _ in files if file != folder)
        return found

    def _holding(self, path: str) -> Iterator[tuple[CachedOut, str]]:
        # Each output that holds `path`, with the part of `path` inside it; each output
        # inside `path` (every output for ""), with "".
        for out in self.outs:
            if path == out.path or path.startswith(out.path + "/"):
                yield out, path[len(out.path) + 1 :]
            elif not path or out.path.startswith(path + "/"):
                yield out, ""

    def _files(self, out: CachedOut, inner: str) -> list[tuple[str, str]]:
        """The files of `out` at or under `inner` (relative to the output; "" for all)."""
        md5, inline = self._hash(out)
        if not md5.endswith(DIR_SUFFIX):
            if inner:
                raise OutError(f"{out.path} is a file")
            return [(out.path, md5)]
        entries = _manifest_entries(inline) if isinstance(inline, list) else self._manifest(md5)
        if inner in entries:
            return [(_join(out.path, inner), entries[inner])]
        prefix = inner + "/" if inner else ""
        inside = sorted(rel for rel in entries if rel.startswith(prefix))
        if inner and not inside:
            raise OutError(MISSING)
        return [(_join(out.path, rel), entries[rel]) for rel in inside]

    def _hash(self, out: CachedOut) -> tuple[str, Any]:
        """The output's md5 in dvc.lock, and the manifest entries listed there (`files`)."""
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
            return md5, entry.get("files")
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

    def _manifest(self, md5: str) -> dict[str, str]:
        # Kept once read: an object's content is its hash's. One not in the cache is asked for
        # again next time (`dvc pull` may bring it).
        if md5 not in self._manifests:
            data = self.source.cached(md5)
            if data is None:
                raise OutError(NOT_IN_CACHE)
            try:
                entries = json.loads(data)
            except ValueError:  # UnicodeDecodeError included
                raise OutError("unreadable .dir object in the DVC cache") from None
            self._manifests[md5] = _manifest_entries(entries)
        return self._manifests[md5]


def _manifest_entries(entries: Any) -> dict[str, str]:
    """relpath to md5 of a `.dir` object's entries; entries that are malformed or leave the
    folder are dropped."""
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


class WithOutputs:
    """A Source whose files include its cached outputs: git (or disk) first, then the cache."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._outputs: CachedReader | None = None

    @property
    def outputs(self) -> CachedReader:
        """Every output the source's dvc.lock files record (`CachedReader.locked`), found on
        first use."""
        if self._outputs is None:
            self._outputs = CachedReader.locked(self.source)
        return self._outputs

    def read(self, path: str) -> bytes | None:
        """A file's bytes, from the source or else from DVC's cache."""
        data = self.source.read(path)
        if data is not None:
            return data
        md5 = self.outputs.md5_of(path)
        return self.source.cached(md5) if md5 is not None else None

    def files_under(self, folder: str) -> list[str]:
        """The source's files inside `folder`, and the cached outputs' ones."""
        found = dict.fromkeys(self.source.files_under(folder) if folder else self._all())
        found.update(dict.fromkeys(self.outputs.files_under(folder)))
        return sorted(found)

    def _all(self) -> list[str]:
        # Source.files_under has no way to say "everything": list from the dvc.yaml folders.
        folders = {posixpath.dirname(f) for f in self.source.dvcfiles()} - {""}
        return [p for f in folders for p in self.source.files_under(f)]

    def dvcfiles(self) -> list[str]:
        """The source's dvc.yaml files."""
        return [f for f in self.source.dvcfiles() if posixpath.basename(f) == DVCFILE]

    def cached(self, md5: str) -> bytes | None:
        """An object of DVC's cache, if `md5` is a hash at all."""
        return self.source.cached(md5) if is_md5(md5, folder=True) else None
