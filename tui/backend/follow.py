"""Following a run's DVCLive output: one summary per finished step (epoch), with an ETA."""

from __future__ import annotations

import posixpath
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.formats import flatten
from tui.backend.index import ProjectIndex
from tui.backend.live import LiveDir
from tui.backend.progress import StepClock, clock, time_left

DEFAULT_LIVE_DIR = "dvclive"


def live_dirs(index: ProjectIndex, root: Path) -> list[Path]:
    """DVCLive folders of a project: those of its `metrics.json` metrics files."""
    found = [
        root / posixpath.dirname(metrics.path)
        for metrics in index.metrics
        if posixpath.basename(metrics.path) == "metrics.json" and posixpath.dirname(metrics.path)
    ]
    return found or [root / DEFAULT_LIVE_DIR]


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
        eta = f"  ETA {clock(self.eta_s)}" if self.eta_s is not None else ""
        return f"epoch {count}  {shown}  elapsed {clock(self.elapsed_s)}{eta}"


class StepFollower:
    """Turns a DVCLive folder's `metrics.json` updates into one report per new step."""

    def __init__(self, live_dir: Path, total: int | None, started: float | None = None) -> None:
        self.live = LiveDir(live_dir)
        self.step_clock = StepClock(live_dir)
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
        # As the table and `ls` tell it, from the recent steps' durations where DVCLive timed
        # them; else from this run's own pace so far, which we measured from its start.
        eta = time_left(self.step_clock.durations(), step + 1, self.total)
        if eta is None and self.total and step + 1 <= self.total:
            eta = elapsed / (step + 1) * (self.total - step - 1)
        yield StepReport(step, dict(flatten(summary)), elapsed, eta)
