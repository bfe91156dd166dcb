"""Following a run's DVCLive output: one summary per finished step (epoch), with an ETA."""

from __future__ import annotations

import math
import posixpath
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.formats import flatten
from tui.backend.index import ProjectIndex
from tui.backend.live import LiveDir

DEFAULT_LIVE_DIR = "dvclive"


def live_dirs(index: ProjectIndex, root: Path) -> list[Path]:
    """DVCLive folders of a project: those of its `metrics.json` metrics files."""
    found = [
        root / posixpath.dirname(metrics.path)
        for metrics in index.metrics
        if posixpath.basename(metrics.path) == "metrics.json" and posixpath.dirname(metrics.path)
    ]
    return found or [root / DEFAULT_LIVE_DIR]


def total_steps(params: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The number of epochs a run will log, if a parameter says so (`epochs`, `n_epochs`...)."""
    for values in params.values():
        for key, value in values.items():
            last = key.rsplit(".", 1)[-1].lower()
            if last in {"epochs", "n_epochs", "num_epochs", "max_epochs"} and isinstance(
                value, int
            ):
                return value
    return None


@dataclass(frozen=True)
class StepReport:
    """One finished step of a run."""

    step: int
    metrics: dict[str, Any]
    elapsed_s: float
    eta_s: float | None

    def line(self, total: int | None) -> str:
        """`epoch 3/15  eval.accuracy 0.9123  ...  elapsed 0:42  ETA 3:10`."""
        count = f"{self.step + 1}/{total}" if total else str(self.step + 1)
        shown = "  ".join(
            f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in self.metrics.items()
            if key != "step"
        )
        eta = f"  ETA {_clock(self.eta_s)}" if self.eta_s is not None else ""
        return f"epoch {count}  {shown}  elapsed {_clock(self.elapsed_s)}{eta}"


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StepFollower:
    """Turns a DVCLive folder's `metrics.json` updates into one report per new step."""

    def __init__(self, live_dir: Path, total: int | None, started: float | None = None) -> None:
        self.live = LiveDir(live_dir)
        self.total = total
        self.started = started if started is not None else time.time()
        self._last_step = -1
        # A metrics.json older than the run is the previous run's: not ours to report.
        self._not_before = self.started - 1

    def poll(self) -> Iterator[StepReport]:
        """Reports for the steps finished since the last call."""
        self.live.poll()
        summary = self.live.metrics_json.value
        path = self.live.metrics_json.path
        try:
            fresh = path.stat().st_mtime >= self._not_before
        except OSError:
            fresh = False
        if not isinstance(summary, dict) or not fresh:
            return
        step = summary.get("step")
        if not isinstance(step, int) or step <= self._last_step:
            return
        self._last_step = step
        elapsed = time.time() - self.started
        eta = None
        if self.total and step + 1 <= self.total:
            eta = elapsed / (step + 1) * (self.total - step - 1)
        yield StepReport(step, dict(flatten(summary)), elapsed, eta)
