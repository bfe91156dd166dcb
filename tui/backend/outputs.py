"""A revision's files including its DVC-cached stage outputs, which git does not hold.

A finished experiment's commit holds `dvc.lock`, not the outputs DVC caches: those are found
by the hash `dvc.lock` records for them (DVC's rules, dvc/stage/serialize.py and
dvc/output.py): an out's `path` is relative to its stage's `wdir`; a file out's `md5` names
its cache object; a directory out's `md5` ends in `.dir` and names a JSON manifest,
`[{"relpath": ..., "md5": ...}, ...]`, whose entries name each file's object (a lock written
for cloud versioning lists those entries inline, under `files`). DVC 3 keeps objects under
`.dvc/cache/files/md5/ab/cdef...`, DVC 2 under `.dvc/cache/ab/cdef...` (`index.dvc_cache_object`).

A hash is only ever used once it is checked to be one (hex, with `.dir` for manifests), so no
lock file or manifest, whatever it holds, can make us read outside the cache.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tui.backend.formats import UnreadableFile, parse_yaml
from tui.backend.index import DVCFILE, LOCKFILE, Source

_MD5 = re.compile(r"[0-9a-f]{32}")
_DIR_MD5 = re.compile(r"[0-9a-f]{32}\.dir")


def cache_path(dvc_dir: Path, md5: str) -> Path | None:
    """Where DVC 3 (or else DVC 2) keeps a cache object, if it is there and `md5` is a hash:
    for reading a big object in pieces rather than whole (`index.dvc_cache_object`)."""
    if not (_MD5.fullmatch(md5) or _DIR_MD5.fullmatch(md5)):
        return None
    for candidate in (
        dvc_dir / "cache" / "files" / "md5" / md5[:2] / md5[2:],
        dvc_dir / "cache" / md5[:2] / md5[2:],
    ):
        if candidate.is_file():
            return candidate
    return None


def _norm(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _inside(path: str, folder: str) -> bool:
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


def _stage_wdirs(source: Source, dvcfile: str) -> dict[str, str]:
    # Stage name to its wdir, relative to the dvc.yaml's folder ("." when none is declared).
    data = source.read(dvcfile)
    try:
        parsed = parse_yaml(data) if data is not None else None
    except UnreadableFile:
        return {}
    stages = parsed.get("stages") if isinstance(parsed, Mapping) else None
    if not isinstance(stages, Mapping):
        return {}
    return {
        str(name): str(stage.get("wdir") or ".")
        for name, stage in stages.items()
        if isinstance(stage, Mapping)
    }


class CachedOutputs:
    """Files of one revision's DVC-cached outputs, by repo-relative path, from `dvc.lock`."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._files: dict[str, str] | None = None
        self._dirs: dict[str, str] = {}
        """Directory out path to its manifest's hash, read on demand."""
        self._manifests: dict[str, dict[str, str]] = {}

    def _collect(self) -> dict[str, str]:
        if self._files is not None:
            return self._files
        files: dict[str, str] = {}
        for dvcfile in self.source.dvcfiles():
            folder = posixpath.dirname(dvcfile)
            lock_path = posixpath.join(folder, LOCKFILE) if folder else LOCKFILE
            data = self.source.read(lock_path)
            try:
                lock = parse_yaml(data) if data is not None else None
            except UnreadableFile:
                continue
            stages = lock.get("stages") if isinstance(lock, Mapping) else None
            if not isinstance(stages, Mapping):
                continue
            wdirs = _stage_wdirs(self.source, dvcfile)
            for name, stage in stages.items():
                if not isinstance(stage, Mapping):
                    continue
                # foreach/matrix stages are locked as `name@key`; `${...}` wdirs are not resolved.
                wdir = wdirs.get(str(name).split("@", 1)[0], ".")
                if "${" in wdir:
                    wdir = "."
                outs = stage.get("outs")
                for out in outs if isinstance(outs, list) else []:
                    self._add_out(files, _norm(folder, wdir), out)
        self._files = files
        return files

    def _add_out(self, files: dict[str, str], wdir: str, out: Any) -> None:
        if not isinstance(out, Mapping) or not isinstance(out.get("path"), str):
            return
        path = _norm(wdir, out["path"])
        if path.startswith("../") or path == "..":
            return
        md5 = str(out.get("md5") or "")
        if _MD5.fullmatch(md5):
            files[path] = md5
        elif _DIR_MD5.fullmatch(md5):
            self._dirs[path] = md5
            inline = out.get("files")
            if isinstance(inline, list):
                self._manifests[path] = _entries(inline)

    def _manifest(self, folder: str) -> dict[str, str]:
        entries = self._manifests.get(folder)
        if entries is None:
            data = self.source.cached(self._dirs[folder])
            try:
                parsed = json.loads(data) if data is not None else None
            except ValueError:
                parsed = None
            entries = self._manifests[folder] = _entries(parsed)
        return entries

    def md5_of(self, path: str) -> str | None:
        """The cache object of a file inside a cached output, if `dvc.lock` records one."""
        files = self._collect()
        if path in files:
            return files[path]
        for folder in self._dirs:
            if _inside(path, folder) and path != folder:
                return self._manifest(folder).get(posixpath.relpath(path, folder))
        return None

    def read(self, path: str) -> bytes | None:
        """A cached file's bytes, or None if it is not a cached output or not in the cache."""
        md5 = self.md5_of(posixpath.normpath(path))
        return self.source.cached(md5) if md5 is not None else None

    def files_under(self, folder: str) -> Iterator[str]:
        """Cached files inside `folder` ("" for all), whether or not the cache holds them."""
        folder = posixpath.normpath(folder) if folder else ""
        for path in self._collect():
            if _inside(path, folder) and path != folder:
                yield path
        for out in list(self._dirs):
            if _inside(out, folder) or _inside(folder, out):
                for relpath in self._manifest(out):
                    path = posixpath.join(out, relpath)
                    if _inside(path, folder) and path != folder:
                        yield path


def _entries(data: Any) -> dict[str, str]:
    entries: dict[str, str] = {}
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, Mapping):
            continue
        relpath, md5 = entry.get("relpath"), entry.get("md5")
        if isinstance(relpath, str) and isinstance(md5, str) and _MD5.fullmatch(md5):
            normal = posixpath.normpath(relpath)
            if not normal.startswith(("../", "/")) and normal not in ("..", "."):
                entries[normal] = md5
    return entries


class WithOutputs:
    """A Source whose files include its cached outputs: git (or disk) first, then the cache."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.outputs = CachedOutputs(source)

    def read(self, path: str) -> bytes | None:
        """A file's bytes, from the source or else from DVC's cache."""
        data = self.source.read(path)
        return data if data is not None else self.outputs.read(path)

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
        if not (_MD5.fullmatch(md5) or _DIR_MD5.fullmatch(md5)):
            return None
        return self.source.cached(md5)
