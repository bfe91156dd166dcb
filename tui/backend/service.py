"""The backend's one entry point for both faces: list, run, follow, stop, remove, apply, branch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.dvc import exp_run_argv, run_dvc
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment, ExperimentIndex
from tui.backend.follow import live_dirs, total_steps
from tui.backend.index import build_index
from tui.backend.overrides import Override, check_overrides
from tui.backend.repo import DvcRepo, find_repo
from tui.backend.runrecord import RunRecord
from tui.backend.runs import RunStore
from tui.backend.sources import WorkspaceSource

_EXPERIMENT_NAME = re.compile(r"Reproducing experiment '([^']+)'")
_NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Target:
    """What a name given by the user stands for: a listed experiment, a run of ours, or both."""

    experiment: Experiment | None
    run: RunRecord | None

    @property
    def label(self) -> str:
        """How to call it back to the user."""
        if self.experiment is not None:
            return self.experiment.label
        assert self.run is not None
        return self.run.name or self.run.id


class Backend:
    """Experiments of one DVC repository."""

    def __init__(self, repo: DvcRepo) -> None:
        self.repo = repo
        self.index = ExperimentIndex(repo)
        self.runs = RunStore(repo)

    @classmethod
    def discover(cls, start: Path | None = None) -> Backend:
        """The backend of the DVC repository holding `start` (default: here)."""
        return cls(find_repo(start))

    # Listing -----------------------------------------------------------------------------

    def experiments(self, num: int = 1, all_commits: bool = False) -> list[Experiment]:
        """The listing of `dvc exp show -n num` (or `-A`)."""
        return self.index.list(num, all_commits)

    def run_name(self, record: RunRecord) -> str | None:
        """The experiment name of a run: given at launch, or as DVC announced it in the log."""
        if record.name:
            return record.name
        try:
            with self.runs.log_path(record.id).open("rb") as log:
                head = log.read(8192).decode("utf-8", errors="replace")
        except OSError:
            return None
        found = _EXPERIMENT_NAME.search(head)
        return found.group(1) if found else None

    def resolve(self, name: str) -> Target:
        """An experiment (by name or rev prefix) or a run of ours (by id or name)."""
        matches = [
            row
            for row in self.experiments(num=1)
            if row.kind != "workspace" and (row.name == name or row.rev.startswith(name))
        ]
        runs = [
            record
            for record in reversed(self.runs.all())
            if name in (record.id, self.run_name(record))
        ]
        if len(matches) > 1 and len({row.rev for row in matches}) > 1:
            raise BackendError(f"{name!r} matches {len(matches)} experiments: give more of the rev")
        experiment = matches[0] if matches else None
        run = runs[0] if runs else None
        if experiment is None and run is None:
            raise BackendError(f"no experiment or run called {name!r}: `catdog-tui ls` lists them")
        return Target(experiment, run)

    # Running -----------------------------------------------------------------------------

    def check_overrides(self, set_params: list[str]) -> list[Override]:
        """Refuse unknown keys and wrong types before anything is written or launched."""
        return check_overrides(set_params, self.repo.root)

    def start_run(self, set_params: list[str], *, name: str | None = None) -> RunRecord:
        """Start `dvc exp run` in the workspace, detached; it outlives this process."""
        self.check_overrides(set_params)
        if name is not None and not _NAME_RULE.match(name):
            raise BackendError(
                f"--name {name!r}: use letters, digits, '.', '_' or '-', starting with a "
                "letter or digit"
            )
        busy = self.runs.active()
        if busy:
            raise BackendError(
                f"run {busy[0].name or busy[0].id} is still going in the workspace: wait for "
                "it, stop it, or queue this one with --queue"
            )
        return self.runs.launch(exp_run_argv(set_params, name=name), name=name)

    def queue(self, set_params: list[str], *, name: str | None = None) -> str:
        """Add runs to DVC's queue (a sweep adds one per combination); DVC's own summary."""
        overrides = self.check_overrides(set_params)
        if name is not None and any(o.is_sweep for o in overrides):
            raise BackendError("--name cannot be used with a sweep: each run needs its own name")
        argv = exp_run_argv(set_params, name=name, queue=True)
        return run_dvc(self.repo, *argv[3:])

    def start_workers(self, jobs: int = 1) -> str:
        """`dvc queue start -j N`: workers that run the queue in the background."""
        if jobs < 1:
            raise BackendError(f"-j {jobs}: the number of workers must be at least 1")
        return run_dvc(self.repo, "queue", "start", "-j", str(jobs))

    def queue_status(self) -> str:
        """`dvc queue status`."""
        return run_dvc(self.repo, "queue", "status")

    def total_steps(self, set_params: list[str]) -> int | None:
        """How many epochs a run with these overrides will log, if a parameter says so."""
        overridden: dict[str, dict[str, Any]] = {}
        for override in self.check_overrides(set_params):
            if override.values:
                overridden.setdefault(override.file, {})[override.key] = override.values[0]
        return total_steps(overridden) or total_steps(self.experiments()[0].params)

    def workspace_live_dir(self) -> Path:
        """Where a workspace run's DVCLive output goes."""
        source = WorkspaceSource(self.repo.root, self.repo.dvc_dir)
        return live_dirs(build_index(source), self.repo.root)[0]

    # Acting on experiments -------------------------------------------------------------------

    def stop(self, name: str) -> str:
        """Stop a running run, or take a queued one out of the queue."""
        active = self.runs.active()
        if name == "workspace" and active:
            # A workspace run DVC has not named yet shows as "workspace".
            self.runs.stop(active[-1].id)
            return f"stopping {active[-1].name or active[-1].id}"
        target = self.resolve(name)
        if target.run is not None and not target.run.finished:
            self.runs.stop(target.run.id)
            return f"stopping {target.label}"
        experiment = target.experiment
        if experiment is not None and experiment.status == "running":
            run_dvc(self.repo, "queue", "kill", experiment.label)
            return f"stopping {experiment.label}"
        if experiment is not None and experiment.status == "queued":
            run_dvc(self.repo, "queue", "remove", experiment.label)
            return f"removed {experiment.label} from the queue"
        raise BackendError(f"{target.label} is not running or queued: nothing to stop")

    def remove(self, names: list[str]) -> str:
        """`dvc exp remove`, after checking that every name exists."""
        labels = []
        for name in names:
            experiment = self.resolve(name).experiment
            if experiment is None:
                raise BackendError(f"{name!r} is a run with no experiment to remove")
            if experiment.status == "running":
                raise BackendError(f"{experiment.label} is running: stop it first")
            labels.append(experiment.label)
        run_dvc(self.repo, "exp", "remove", *labels)
        return f"removed {', '.join(labels)}"

    def apply(self, name: str) -> str:
        """`dvc exp apply`: the experiment's params, code and results into the workspace."""
        experiment = self._finished(name)
        run_dvc(self.repo, "exp", "apply", experiment.label)
        return f"applied {experiment.label} to the workspace"

    def branch(self, name: str, branch: str) -> str:
        """`dvc exp branch`: a git branch from the experiment."""
        experiment = self._finished(name)
        run_dvc(self.repo, "exp", "branch", experiment.label, branch)
        return f"branch {branch} made from {experiment.label}"

    def _finished(self, name: str) -> Experiment:
        experiment = self.resolve(name).experiment
        if experiment is None or experiment.status != "success":
            state = experiment.status if experiment else "a run without an experiment"
            raise BackendError(f"{name} is {state}: only finished experiments can be used")
        return experiment

    def log_path(self, name: str) -> Path:
        """The log of a run of ours or of a queued run."""
        target = self.resolve(name)
        if target.run is not None:
            return self.runs.log_path(target.run.id)
        if target.experiment is not None and target.experiment.log:
            return Path(target.experiment.log)
        raise BackendError(
            f"{target.label} has no log: it was run neither through catdog-tui nor the queue"
        )
