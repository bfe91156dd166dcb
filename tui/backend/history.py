"""DVCLive data of any experiment: read from git for committed ones, from disk for live ones."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.backend.experiments import Experiment
from tui.backend.gitstore import GitStore
from tui.backend.live import ConfusionMatrix, LiveDir, Series, confusion_matrix

CONFUSION_FILE = "plots/sklearn/confusion_matrix.json"


@dataclass
class LiveData:
    """What the charts and the confusion matrix of one experiment show."""

    series: dict[str, Series] = field(default_factory=dict)
    confusion: ConfusionMatrix | None = None


def parse_tsv(name: str, text: str) -> Series:
    """A whole DVCLive metric TSV (complete lines only, malformed rows skipped)."""
    series = Series(name)
    lines = text.splitlines()
    if not lines:
        return series
    columns = lines[0].split("\t")
    if "step" not in columns:
        return series
    value_column = max(i for i, c in enumerate(columns) if c not in ("step", "timestamp"))
    step_column = columns.index("step")
    complete = lines[1:] if text.endswith("\n") else lines[1:-1]
    for line in complete:
        cells = line.split("\t")
        if len(cells) != len(columns):
            continue
        try:
            step, value = int(cells[step_column]), float(cells[value_column])
        except ValueError:
            continue
        series.steps.append(step)
        series.values.append(value)
    return series


class LiveReader:
    """LiveData of experiments; committed ones are read once, live folders incrementally."""

    def __init__(self, git: GitStore, live_dir_name: str = "dvclive") -> None:
        self.git = git
        self.live_dir_name = live_dir_name
        self._committed: dict[str, LiveData] = {}
        self._folders: dict[Path, LiveDir] = {}

    def folder(self, root: Path) -> LiveDir:
        """The incremental reader of a working tree's DVCLive folder."""
        path = root / self.live_dir_name
        reader = self._folders.get(path)
        if reader is None:
            reader = self._folders[path] = LiveDir(path)
        return reader

    def read(self, experiment: Experiment, workspace_root: Path) -> LiveData:
        """The experiment's curves and confusion matrix as they stand now."""
        if experiment.status in ("running", "workspace"):
            root = Path(experiment.live_root) if experiment.live_root else workspace_root
            live = self.folder(root)
            live.poll()
            return LiveData(live.series(), live.confusion())
        cached = self._committed.get(experiment.rev)
        if cached is None:
            cached = self._committed[experiment.rev] = self._from_commit(experiment.rev)
        return cached

    def _from_commit(self, rev: str) -> LiveData:
        data = LiveData()
        if self.git.commit_meta.get(rev) is None and self.git.commit(rev) is None:
            return data
        metrics_dir = posixpath.join(self.live_dir_name, "plots", "metrics") + "/"
        for path in self.git.files(rev):
            if path.startswith(metrics_dir) and path.endswith(".tsv"):
                name = path[len(metrics_dir) : -len(".tsv")]
                blob = self.git.blob_id(rev, path)
                if blob is not None:
                    text = self.git.read_blob(blob).decode("utf-8", errors="replace")
                    series = parse_tsv(name, text)
                    if series.steps:
                        data.series[name] = series
        blob = self.git.blob_id(rev, posixpath.join(self.live_dir_name, CONFUSION_FILE))
        if blob is not None:
            try:
                parsed: Any = json.loads(self.git.read_blob(blob))
            except ValueError:
                parsed = None
            data.confusion = confusion_matrix(parsed)
        return data
