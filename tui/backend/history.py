"""DVCLive data of any experiment: read from git for committed ones, from disk for live ones.

A committed experiment is read once (a commit never changes): its plot definitions and data
come from git, and its DVC-cached outputs (a DVCLive folder declared as a stage output) from
`.dvc/cache` through `dvc.lock` (`outs`). A running experiment, or the workspace, is read
from its folder on disk, incrementally: each TSV is tailed, each JSON re-read only when it
changed, dvc.yaml re-parsed only when it changed.

Threads: a LiveReader may be called from any thread, one call at a time (a lock serialises
them); the app calls it from one worker. What it returns is never changed afterwards.
"""

from __future__ import annotations

import posixpath
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.backend.downsample import MAX_POINTS
from tui.backend.experiments import Experiment
from tui.backend.gitstore import GitStore
from tui.backend.live import HOT_SECONDS, JsonFile, LiveDir, TsvTail
from tui.backend.outs import WithOutputs, cache_path
from tui.backend.plotdata import LiveData as LiveData  # where the app has always found it
from tui.backend.plotdata import assemble, delimiter_of, parse_content
from tui.backend.plots import PlotFile, Plots, collect_plots, dvcyaml_documents, plots_of
from tui.backend.sources import CommitSource, WorkspaceSource
from tui.backend.steptable import Series, StepTable

COMMITTED_KEPT = 64
"""Committed experiments whose data stays in memory (at most MAX_POINTS per series each)."""
REWALK_SECONDS = 5.0
"""How often a working tree is walked again for new dvc.yaml files (known ones are checked
on every read): a walk of a big tree costs more than a read."""


def parse_tsv(name: str, text: str) -> Series:
    """A whole DVCLive metric TSV, downsampled; malformed rows skipped, no value column no
    points."""
    table = StepTable()
    table.feed(text.encode())
    fields = table.fields
    return table.series(fields[0], name) if fields else Series(name)


class CommitReader:
    """Plot data of a commit, its DVC-cached outputs included, read once.

    A big table is never held whole twice: a git blob is read through a view of libgit2's
    buffer, a cache object from its file in pieces (`steptable.PIECE`).
    """

    def __init__(self, source: WithOutputs, commit: CommitSource, limit: int = MAX_POINTS) -> None:
        self.source = source
        self.commit = commit
        self.limit = limit

    def table(self, plot_file: PlotFile) -> StepTable | None:
        """The file read whole into a downsampled table."""
        path = plot_file.path
        table = StepTable(
            delimiter=delimiter_of(path), x=plot_file.x, y=plot_file.y, limit=self.limit
        )
        blob_id = self.commit.git.blob_id(self.commit.rev, path)
        if blob_id is not None:
            import pygit2

            blob = self.commit.git.repo[blob_id]
            if isinstance(blob, pygit2.Blob):
                table.feed(memoryview(blob))
                return table
        md5 = self.source.outputs.md5_of(path)
        cached = cache_path(self.commit.dvc_dir, md5) if md5 is not None else None
        if cached is None:
            return None
        try:
            with cached.open("rb") as handle:
                table.feed_file(handle)
        except OSError:
            return None
        return table

    def content(self, path: str) -> Any:
        """The file parsed, or None."""
        data = self.source.read(path)
        try:
            return parse_content(path, data) if data is not None else None
        except ValueError:
            return None


class DiskReader:
    """Plot data of a working tree that a run is writing: every file followed incrementally."""

    def __init__(self, root: Path, default_live_dir: str, limit: int = MAX_POINTS) -> None:
        self.root = root
        self.default_live_dir = default_live_dir
        self.limit = limit
        self._source = WorkspaceSource(root, root / ".dvc")
        self._walked = 0.0
        self._documents: list[tuple[str, Mapping[str, Any]]] = []
        self._good: dict[str, Mapping[str, Any]] = {}
        self._signatures: tuple[tuple[str, int, int], ...] | None = None
        self._tails: dict[tuple[str, str | None, tuple[str, ...]], TsvTail] = {}
        self._files: dict[str, JsonFile] = {}

    def _dvcyaml(self) -> list[tuple[str, Mapping[str, Any]]]:
        # DVCLive rewrites dvc.yaml in place at every step (its default `dvcyaml`): a file
        # caught half-written keeps its last good parse, as the JSON readers do, and one
        # written moments ago is parsed again even at the same size and mtime.
        if time.monotonic() - self._walked > REWALK_SECONDS:
            self._source = WorkspaceSource(self.root, self.root / ".dvc")
            self._walked = time.monotonic()
        signatures, hot = [], False
        for path in self._source.dvcfiles():
            try:
                stat = (self.root / path).stat()
            except OSError:
                continue
            signatures.append((path, stat.st_mtime_ns, stat.st_size))
            hot |= time.time() - stat.st_mtime < HOT_SECONDS
        if tuple(signatures) != self._signatures or hot:
            parsed = dict(dvcyaml_documents(self._source))
            half_written = [p for p, _, _ in signatures if p not in parsed and p in self._good]
            self._good = {**{p: self._good[p] for p in half_written}, **parsed}
            # Parsed again next time until every file parses.
            self._signatures = None if half_written else tuple(signatures)
            self._documents = [(p, self._good[p]) for p, _, _ in signatures if p in self._good]
        return self._documents

    def plots(self) -> Plots:
        """The working tree's plot definitions as they stand now."""
        return collect_plots(
            self._dvcyaml(), self._source.files_under, self.content, self.default_live_dir
        )

    def read(self) -> LiveData:
        """The working tree's plots as they stand now."""
        return assemble(self.plots(), self)

    def table(self, plot_file: PlotFile) -> StepTable | None:
        """The file's table, with what was appended since the last read."""
        key = (plot_file.path, plot_file.x, plot_file.y)
        tail = self._tails.get(key)
        if tail is None:
            tail = self._tails[key] = TsvTail(
                self.root / plot_file.path, plot_file.path, x=plot_file.x, y=plot_file.y,
                delimiter=delimiter_of(plot_file.path), limit=self.limit,
            )  # fmt: skip
        tail.poll()
        return tail.table if tail.path.exists() else None

    def content(self, path: str) -> Any:
        """The file's last good parse."""
        reader = self._files.get(path)
        if reader is None:
            reader = self._files[path] = JsonFile(
                self.root / path, lambda data: parse_content(path, data)
            )
        reader.poll()
        return reader.value if reader.path.exists() else None


class LiveReader:
    """LiveData of experiments; committed ones are read once, live folders incrementally."""

    def __init__(
        self,
        git: GitStore,
        live_dir_name: str = "dvclive",
        *,
        dvc_dir: Path | None = None,
        limit: int = MAX_POINTS,
    ) -> None:
        self.git = git
        self.live_dir_name = live_dir_name
        """The DVCLive folder assumed when a revision declares none."""
        self.dvc_dir = dvc_dir or git.root / ".dvc"
        self.limit = limit
        self._committed: OrderedDict[str, LiveData] = OrderedDict()
        self._disk: dict[Path, DiskReader] = {}
        self._folders: dict[Path, LiveDir] = {}
        self._lock = threading.Lock()

    def folder(self, root: Path) -> LiveDir:
        """The incremental reader of a working tree's default DVCLive folder."""
        path = root / self.live_dir_name
        reader = self._folders.get(path)
        if reader is None:
            reader = self._folders[path] = LiveDir(path)
        return reader

    def read(self, experiment: Experiment, workspace_root: Path) -> LiveData:
        """The experiment's plots as they stand now."""
        if experiment.status in ("running", "workspace"):
            root = Path(experiment.live_root) if experiment.live_root else workspace_root
            return self.read_tree(root)
        return self.read_commit(experiment.rev)

    def read_file(self, experiment: Experiment, workspace_root: Path, path: str) -> bytes | None:
        """One file of the experiment's plots (an image), as `read` would find it: on disk for
        a running experiment or the workspace, else from git or DVC's cache. None if missing."""
        if experiment.status in ("running", "workspace"):
            root = Path(experiment.live_root) if experiment.live_root else workspace_root
            return WorkspaceSource(root, root / ".dvc").read(path)
        rev = experiment.rev
        with self._lock:
            if self.git.commit_meta.get(rev) is None and self.git.commit(rev) is None:
                return None
            return WithOutputs(CommitSource(self.git, rev, self.dvc_dir)).read(path)

    def read_tree(self, root: Path) -> LiveData:
        """A working tree's plots (the workspace, or a queued run's copy), incrementally."""
        with self._lock:
            return self._tree(root).read()

    def _tree(self, root: Path) -> DiskReader:
        reader = self._disk.get(root)
        if reader is None:
            reader = self._disk[root] = DiskReader(root, self.live_dir_name, self.limit)
        return reader

    def watch_paths(self, root: Path) -> list[Path]:
        """What to watch for a working tree's plots to change: its DVCLive folders, and the
        folder of each plot file declared outside them."""
        with self._lock:
            plots = self._tree(root).plots()
        folders = dict.fromkeys(plots.folders or [self.live_dir_name])
        for spec in plots.specs:
            for path in spec.paths:
                if not any(path.startswith(f"{folder}/") for folder in plots.folders):
                    folders[posixpath.dirname(path) or "."] = None
        return [root / folder for folder in folders]

    def read_commit(self, rev: str) -> LiveData:
        """A commit's plots, read once and kept (the most recent COMMITTED_KEPT)."""
        with self._lock:
            cached = self._committed.get(rev)
            if cached is None:
                cached = self._committed[rev] = self._from_commit(rev)
                while len(self._committed) > COMMITTED_KEPT:
                    self._committed.popitem(last=False)
            self._committed.move_to_end(rev)
            return cached

    def _from_commit(self, rev: str) -> LiveData:
        if self.git.commit_meta.get(rev) is None and self.git.commit(rev) is None:
            return LiveData()
        commit = CommitSource(self.git, rev, self.dvc_dir)
        source = WithOutputs(commit)
        reader = CommitReader(source, commit, self.limit)
        return assemble(plots_of(source, self.live_dir_name), reader)
