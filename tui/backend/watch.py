"""Change events for the files of the experiments being followed.

inotify (through watchfiles) where it works; polling where it cannot: network file systems,
whose changes made on another machine never raise an inotify event, and machines out of
inotify watches. The chosen mode and why are reported, so that a person can tell.

The poller is our own: it compares size, mtime and inode of every file under the targets.
watchfiles' poller compares modification times only and missed appends landing within one
timestamp tick (measured: 8 of 20 rows within 5 s); an append always changes the size.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import watchfiles

NETWORK_FILE_SYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "9p",
        "fuse.sshfs",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
    }
)
POLLING_ENV = "CATDOG_TUI_POLLING"
# How long a burst of writes may be merged into one event, and the quiet time that ends it:
# small, because a person is waiting to see a point appear.
DEBOUNCE_MS = 30
STEP_MS = 5
POLL_DELAY_MS = 250


@dataclass(frozen=True)
class WatchMode:
    """How changes are noticed."""

    kind: Literal["inotify", "polling"]
    reason: str


def _mount_type(path: Path) -> str | None:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    resolved = str(path.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point = fields[1].replace("\\040", " ")
        inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fields[2]
    return best_type


def choose_mode(path: Path) -> WatchMode:
    """inotify unless the user asked for polling or `path` is on a network file system."""
    if os.environ.get(POLLING_ENV, "") not in ("", "0"):
        return WatchMode("polling", f"{POLLING_ENV} is set")
    fs_type = _mount_type(path)
    if fs_type in NETWORK_FILE_SYSTEMS:
        return WatchMode("polling", f"{path} is on {fs_type}, a network file system")
    if not Path("/proc/sys/fs/inotify").exists():
        return WatchMode("polling", "this system has no inotify")
    return WatchMode("inotify", "inotify")


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


class Watcher:
    """Reports which of the `targets` (files or folders, existing or not yet) changed."""

    def __init__(self, targets: Iterable[Path], mode: WatchMode | None = None) -> None:
        self.targets = tuple(path.resolve() for path in targets)
        if not self.targets:
            raise ValueError("nothing to watch")
        self.mode = mode or choose_mode(self.targets[0])
        self._stop = threading.Event()

    def _roots(self) -> list[Path]:
        roots = sorted({_nearest_existing(path) for path in self.targets})
        # Drop roots inside other roots: watching is recursive.
        return [r for r in roots if not any(o != r and o in r.parents for o in roots)]

    def _wanted(self, _change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        return any(changed == t or t in changed.parents for t in self.targets)

    def _relevant(self, changes: set[tuple[watchfiles.Change, str]]) -> set[Path]:
        return {Path(path) for _, path in changes}

    def stop(self) -> None:
        """End the iteration of `changes()` within a few milliseconds."""
        self._stop.set()

    def _fall_back(self, error: OSError) -> None:
        self.mode = WatchMode("polling", f"inotify failed ({error}); polling instead")

    def _scan(self) -> dict[Path, tuple[int, int, int]]:
        found: dict[Path, tuple[int, int, int]] = {}
        for target in self.targets:
            stack = [target]
            while stack:
                path = stack.pop()
                try:
                    with os.scandir(path) as entries:
                        for entry in entries:
                            if entry.is_dir(follow_symlinks=False):
                                stack.append(Path(entry.path))
                            else:
                                stat = entry.stat()
                                found[Path(entry.path)] = (
                                    stat.st_size,
                                    stat.st_mtime_ns,
                                    stat.st_ino,
                                )
                except NotADirectoryError:
                    try:
                        stat = path.stat()
                    except OSError:
                        continue
                    found[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
                except OSError:
                    continue
        return found

    @staticmethod
    def _diff(
        before: dict[Path, tuple[int, int, int]], after: dict[Path, tuple[int, int, int]]
    ) -> set[Path]:
        return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}

    def _poll(self) -> Iterator[set[Path]]:
        seen = self._scan()
        while not self._stop.wait(POLL_DELAY_MS / 1000):
            now = self._scan()
            changed = self._diff(seen, now)
            seen = now
            if changed:
                yield changed

    def changes(self) -> Iterator[set[Path]]:
        """Blocking: sets of changed paths, until `stop()`."""
        if self.mode.kind == "polling":
            yield from self._poll()
            return
        try:
            for changes in watchfiles.watch(
                *self._roots(),
                watch_filter=self._wanted,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=500,
                yield_on_timeout=False,
                raise_interrupt=False,
            ):
                yield self._relevant(changes)
        except OSError as error:
            self._fall_back(error)
            yield from self._poll()

    async def achanges(self) -> AsyncIterator[set[Path]]:
        """Async: sets of changed paths, until `stop()` or cancellation."""
        if self.mode.kind == "polling":
            seen = await asyncio.to_thread(self._scan)
            while not self._stop.is_set():
                await asyncio.sleep(POLL_DELAY_MS / 1000)
                now = await asyncio.to_thread(self._scan)
                changed = self._diff(seen, now)
                seen = now
                if changed:
                    yield changed
            return
        try:
            async for changes in watchfiles.awatch(
                *self._roots(),
                watch_filter=self._wanted,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                rust_timeout=500,
                yield_on_timeout=False,
            ):
                yield self._relevant(changes)
        except OSError as error:
            self._fall_back(error)
            async for changed in self.achanges():
                yield changed


STEP_SIGNAL = "DVCLIVE_STEP_COMPLETED"
"""The file DVCLive writes under `.dvc/tmp/exps/run` at each step, for VS Code
(dvclive/vscode.py)."""


def only_live_steps(paths: Iterable[Path], live_folders: Iterable[Path]) -> bool:
    """Whether these changes are a run's DVCLive steps alone: files in its DVCLive folders, and
    DVCLive's step signal. Nothing else a listing shows (refs, the queue, params) changed."""
    folders = tuple(live_folders)
    return all(
        path.name == STEP_SIGNAL or any(folder in path.parents for folder in folders)
        for path in paths
    )


class RepoWatch:
    """A repository's watcher, with the DVCLive folders among what it watches: a change only
    there (and DVCLive's step signal) is a run's step, not a change of the listing."""

    def __init__(self, watcher: Watcher, live_folders: Iterable[Path]) -> None:
        self.watcher = watcher
        self.live_folders = tuple(live_folders)

    def only_live_steps(self, paths: Iterable[Path]) -> bool:
        """Whether `paths` changed through a run's DVCLive steps alone."""
        return only_live_steps(paths, self.live_folders)
