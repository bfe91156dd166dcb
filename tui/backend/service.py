"""The backend's one entry point for both faces: list, run, follow, stop, remove, apply, branch."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.backend.errors import BackendError
from tui.backend.experiments import EXPS_PREFIX, Experiment, ExperimentIndex
from tui.backend.repo import DvcRepo, find_repo

# What only running, following and acting need is imported where it is used: `catdog-tui ls`
# starts as a new process each time, and its imports are most of its time.
if TYPE_CHECKING:
    from tui.backend.box import BoxReader, BoxReading
    from tui.backend.history import LiveData, LiveReader
    from tui.backend.logtail import LogChunk
    from tui.backend.overrides import Override
    from tui.backend.progress import EtaReader
    from tui.backend.runrecord import RunRecord
    from tui.backend.runs import RunStore
    from tui.backend.share import GitRemote
    from tui.backend.watch import RepoWatch

_EXPERIMENT_NAME = re.compile(r"Reproducing experiment '([^']+)'")


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


@dataclass(frozen=True)
class Header:
    """Where the listing comes from: the repository, its branch and HEAD."""

    repo: str
    branch: str | None
    head: str | None


def running_copies(rows: Iterable[Experiment], root: Path) -> list[Path]:
    """The copies of the repository at `root` that running rows write to (a queued run's
    temporary folder), sorted."""
    return sorted({Path(row.live_root) for row in rows
                   if row.status == "running" and row.live_root
                   and Path(row.live_root) != root})  # fmt: skip


class Backend:
    """Experiments of one DVC repository: the one facade of the app and the CLI.

    Safe to call from several worker threads: the listing's caches and the live readers are
    each behind a lock.
    """

    def __init__(self, repo: DvcRepo) -> None:
        self.repo = repo
        self.index = ExperimentIndex(repo)
        self._listing_lock = threading.RLock()
        self.values_pending = 0
        self._box: BoxReader | None = None
        self._box_lock = threading.Lock()
        self._settings_lock = threading.Lock()
        self._settings_saved = 0
        """Commits the last listing left without values (see `experiments`)."""
        self._live_lock = threading.Lock()
        # One push or pull at a time: DVC's own repository lock would refuse a second one
        # with a message about its lock file rather than about what is going on.
        self._share_lock = threading.Lock()

    @cached_property
    def runs(self) -> RunStore:
        """The runs started through the backend in this repository."""
        from tui.backend.runs import RunStore

        return RunStore(self.repo)

    @classmethod
    def discover(cls, start: Path | None = None) -> Backend:
        """The backend of the DVC repository holding `start` (default: here)."""
        return cls(find_repo(start))

    # Listing -----------------------------------------------------------------------------

    def experiments(
        self, num: int = 1, all_commits: bool = False, *, with_runs: bool = False,
        within_s: float | None = None,
    ) -> list[Experiment]:  # fmt: skip
        """The listing of `dvc exp show -n num` (or `-A`). `with_runs` adds our runs that DVC
        does not list: one that failed or was stopped (DVC keeps no trace of a failed
        workspace run) and one still starting, each under the commit it started from.
        `within_s`: commits not read by then are listed without values, counted by
        `values_pending` (a first look at thousands of experiments, painted at once). A running
        row carries when its run should end where that can be measured (`eta_at`, progress.py)."""
        with self._listing_lock:
            rows = self.index.list(num, all_commits, within_s)
            self.values_pending = self.index.pending
        rows = self._with_runs(rows) if with_runs else rows
        return self._eta.with_eta(rows) if any(r.status == "running" for r in rows) else rows

    @cached_property
    def _eta(self) -> EtaReader:
        """When running rows should end (`eta_at`), their DVCLive folders followed: it lives
        as long as the backend, so it times the steps it sees happen where no table does."""
        from tui.backend.progress import EtaReader

        return EtaReader(self.repo.root)

    def _with_runs(self, rows: list[Experiment]) -> list[Experiment]:
        keys = {row.key for row in rows}
        workspace_running = any(r.rev == "workspace" and r.kind == "experiment" for r in rows)
        head = rows[0].baseline if rows else None
        extra: dict[str, list[Experiment]] = {}
        for record in self.runs.all():
            if record.status == "success" or (not record.finished and workspace_running):
                continue
            name = self.run_name(record) or record.id
            baseline = record.baseline or head
            row = Experiment(
                kind="experiment", name=name, rev=f"run:{record.id}", baseline=baseline,
                status="running" if not record.finished else "failed",
                created=datetime.fromtimestamp(record.created).astimezone(),
                log=str(self.runs.log_path(record.id)), run_id=record.id,
            )  # fmt: skip
            if row.key not in keys and baseline is not None:
                keys.add(row.key)
                extra.setdefault(baseline, []).append(row)
        if not extra:
            return rows
        merged: list[Experiment] = []
        for index, row in enumerate(rows):
            merged.append(row)
            following = rows[index + 1] if index + 1 < len(rows) else None
            last_of_group = following is None or following.kind != "experiment"
            group = row.baseline if row.kind != "workspace" else None
            if last_of_group and group in extra:
                merged.extend(extra.pop(group))
        return merged

    def failure_reason(self, row: Experiment) -> str:
        """Why a run failed, in a line: what it printed last before DVC's own error."""
        from tui.backend.dvc import error_line

        path = self.log_of(row)
        if path is None:
            return "no log to say why"
        try:
            with path.open("rb") as log:
                log.seek(max(0, log.seek(0, 2) - 65536))
                text = log.read().decode("utf-8", errors="replace")
        except OSError:
            return "its log cannot be read"
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        first_error = next((i for i, line in enumerate(lines) if line.startswith("ERROR:")), None)
        before = [line for line in lines[:first_error] if not line.startswith("catdog-tui:")]
        if first_error is not None and before:
            return before[-1]
        return error_line(text)

    def forget_run(self, run_id: str) -> str:
        """Delete the record and log of a finished run of ours that DVC has no trace of."""
        record = self.runs.forget(run_id)
        return f"forgot run {record.name or record.id}"

    def _with_experiments(self) -> list[Experiment]:
        with self._listing_lock:
            return self.index.with_experiments()

    def header(self) -> Header:
        """The repository's name, branch and HEAD, from the refs the last listing read (a
        listing reads them afresh; a second walk of every ref cost 40 ms at 2000
        experiments, measured with bench/app_budgets.py)."""
        with self._listing_lock:
            return Header(self.repo.root.name, self.index.git.branch(), self.index.git.head())

    def watch_targets(self, rows: Iterable[Experiment] = ()) -> list[Path]:
        """What changes the listing or the charts: refs, DVC's queue and run state, our run
        records, the params, pipeline and lock files, and the DVCLive folders: the workspace's,
        and those of `rows` running in a queue's temporary copy. Not DVC's caches or lock
        files, and not ours, whose writes follow from a refresh."""
        from tui.backend.index import build_index
        from tui.backend.sources import WorkspaceSource

        root, git, exps = self.repo.root, self.repo.root / ".git", self.repo.exps_tmp
        source = WorkspaceSource(root, self.repo.dvc_dir)
        index = build_index(source)
        pipeline = [root / p for p in source.dvcfiles()]
        locks = [p.with_name("dvc.lock") for p in pipeline]
        return [
            git / "refs", git / "HEAD", git / "packed-refs",
            exps / "celery" / "broker", exps / "celery" / "result", exps / "run",
            self.repo.state_dir / "runs",
            *pipeline, *locks, *(root / p for p in index.params),
            *self.live_dirs(),
            *(path for copy in running_copies(rows, root) for path in self.live_dirs(copy)),
        ]  # fmt: skip

    def view_settings(self) -> dict[str, Any]:
        """What the person chose to see last time (stars, hidden columns, sort, theme)."""
        from tui.backend.viewsettings import read_settings

        return read_settings(self.repo.state_dir)

    def save_view_settings(self, settings: dict[str, Any], version: int) -> None:
        """Keep these choices for the next session (see viewsettings.py). `version` grows
        with each change: saves from threads that overtook each other keep the newest."""
        from tui.backend.viewsettings import write_settings

        with self._settings_lock:
            if version > self._settings_saved:
                write_settings(self.repo.state_dir, settings)
                self._settings_saved = version

    def machine(self) -> BoxReading:
        """The machine now: each GPU (load, memory, temperature, the run holding it), CPU and
        RAM; what cannot be read is absent (see box.py). Thread-safe; a few ms."""
        with self._box_lock:
            if self._box is None:
                from tui.backend.box import BoxReader

                self._box = BoxReader()
            return self._box.read()

    def running_copies(self, rows: Iterable[Experiment]) -> list[Path]:
        """The temporary copies of the repository that running rows write to."""
        return running_copies(rows, self.repo.root)

    def watch(self, rows: Iterable[Experiment] = ()) -> RepoWatch:
        """A watcher of what the listing and the charts show (`watch_targets`), knowing which
        of it are DVCLive folders (the workspace's and those of `rows` running in copies)."""
        from tui.backend.watch import RepoWatch, Watcher

        rows = list(rows)
        copies = running_copies(rows, self.repo.root)
        folders = [*self.live_dirs(), *(path for copy in copies for path in self.live_dirs(copy))]
        return RepoWatch(Watcher(self.watch_targets(rows)), folders)

    def live_dirs(self, root: Path | None = None) -> list[Path]:
        """Where the workspace's plots are written (or those of a run's copy of it at `root`):
        every DVCLive folder of its pipeline, and the folder of each plot file declared outside
        them (never the whole repository)."""
        root = root or self.repo.root
        with self._live_lock:
            found = self._live_reader.watch_paths(root)
        return [path for path in found if path != root] or [root / "dvclive"]

    def live_data(self, rows: list[Experiment]) -> dict[str, LiveData]:
        """The DVCLive curves and matrices of these rows, by row key; incremental for running
        ones, read once for committed ones."""
        with self._live_lock:
            return {row.key: self._live_reader.read(row, self.repo.root) for row in rows}

    def image_bytes(self, row: Experiment, path: str) -> bytes | None:
        """The bytes of an image a row logged (a path of its `LiveData.images`), from disk, git
        or DVC's cache; None if it is not there (yet). Decoding is the caller's."""
        with self._live_lock:  # made once, by whichever thread asks first
            reader = self._live_reader
        return reader.read_file(row, self.repo.root, path)

    @cached_property
    def _live_reader(self) -> LiveReader:
        from tui.backend.history import LiveReader

        live_dir = self.workspace_live_dir().relative_to(self.repo.root).as_posix()
        return LiveReader(self.index.git, live_dir, dvc_dir=self.repo.dvc_dir)

    def log_of(self, row: Experiment) -> Path | None:
        """The log of a row's run: ours (by name, or the active one for the workspace), or the
        queue's. None where no log is known; never a listing."""
        if row.kind == "baseline":
            return None
        records = list(reversed(self.runs.all()))
        if row.kind == "workspace":
            active = [r for r in records if not r.finished]
            return self.runs.log_path(active[0].id) if active else None
        if row.log:
            return Path(row.log)
        for record in records:
            if row.name and row.name in (record.name, self.run_name(record)):
                return self.runs.log_path(record.id)
        return None

    def read_log(
        self,
        path: Path | None,
        offset: int = 0,
        identity: tuple[int, int] | None = None,
        *,
        growing: bool = True,
    ) -> LogChunk:
        """What was appended to a log since `offset` (see `logtail.read_log`)."""
        from tui.backend.logtail import read_log

        return read_log(path, offset, identity, growing=growing)

    def check_param(self, file: str, key: str, value: str) -> str | None:
        """Why `value` cannot be given to `key` of `file` (Hydra's grammar, the key's type),
        or None. Sweeps are allowed: the caller decides whether it queues."""
        from tui.backend.overrides import parse_override

        try:
            parse_override(f"{file}:{key}={value}", self.repo.root)
        except BackendError as error:
            return str(error).split(": ", 2)[-1]
        return None

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
        """A run of ours (by id or name) and/or an experiment (by exact name, or a rev prefix
        of at least four hex digits that matches one experiment); see `targets`."""
        from tui.backend.targets import resolve_experiment

        runs = [
            record
            for record in reversed(self.runs.all())
            if name in (record.id, self.run_name(record))
        ]
        run = runs[0] if runs else None
        try:
            experiment: Experiment | None = resolve_experiment(name, self._with_experiments())
        except BackendError:
            if run is None:
                raise
            experiment = None
        return Target(experiment, run)

    # Running -----------------------------------------------------------------------------

    def check_overrides(self, set_params: list[str], *, queue: bool = True) -> list[Override]:
        """Refuse what DVC would refuse, unknown keys and wrong types, before anything is
        written or launched."""
        from tui.backend.overrides import check_overrides

        return check_overrides(set_params, self.repo.root, queue=queue)

    def _check_launch(self, set_params: list[str], name: str | None, *, queue: bool) -> None:
        from tui.backend.targets import check_new_name

        if self.index.git.head() is None:
            raise BackendError(
                "the repository has no commits yet: commit the project first "
                "(git add -A && git commit -m 'project')"
            )
        overrides = self.check_overrides(set_params, queue=queue)
        if name is None:
            return
        combinations = 1
        for override in overrides:
            combinations *= max(len(override.values), 1)
        # DVC names the runs of a sweep NAME-1, NAME-2, ...
        names = [name] if combinations == 1 else [f"{name}-{i + 1}" for i in range(combinations)]
        taken = {r.name for r in self._with_experiments() if r.name and r.kind == "experiment"}
        taken.update(self.run_name(record) or "" for record in self.runs.active())
        branches = [ref.removeprefix("refs/heads/") for ref in self.index.git.ref_targets(
            "refs/heads/")]  # fmt: skip
        tags = [ref.removeprefix("refs/tags/") for ref in self.index.git.ref_targets("refs/tags/")]
        for candidate in names:
            check_new_name(candidate, taken, branches, tags)

    def start_run(self, set_params: list[str], *, name: str | None = None) -> RunRecord:
        """Start `dvc exp run` in the workspace, detached; it outlives this process."""
        from tui.backend.dvc import exp_run_argv

        self._check_launch(set_params, name, queue=False)
        busy = self.runs.active()
        if busy:
            raise BackendError(
                f"run {busy[0].name or busy[0].id} is still going in the workspace: wait for "
                "it, stop it, or queue this one with --queue"
            )
        overridden = {o.file for o in self.check_overrides(set_params, queue=False)}
        restore = {}
        for file in sorted(overridden):
            with contextlib.suppress(OSError):
                restore[file] = (self.repo.root / file).read_text()
        return self.runs.launch(
            exp_run_argv(set_params, name=name), name=name,
            baseline=self.index.git.head(), restore=restore,
        )  # fmt: skip

    def queue(self, set_params: list[str], *, name: str | None = None) -> str:
        """Add runs to DVC's queue (a sweep adds one per combination); DVC's own summary."""
        from tui.backend.dvc import exp_run_argv, run_dvc

        self._check_launch(set_params, name, queue=True)
        argv = exp_run_argv(set_params, name=name, queue=True)
        return run_dvc(self.repo, *argv[3:])

    def start_workers(self, jobs: int = 1) -> str:
        """`dvc queue start -j N`: workers that run the queue in the background."""
        from tui.backend.dvc import run_dvc

        if jobs < 1:
            raise BackendError(f"-j {jobs}: the number of workers must be at least 1")
        return run_dvc(self.repo, "queue", "start", "-j", str(jobs))

    def queue_status(self) -> str:
        """`dvc queue status`."""
        from tui.backend.dvc import run_dvc

        return run_dvc(self.repo, "queue", "status")

    def total_steps(self, set_params: list[str]) -> int | None:
        """How many epochs a run with these overrides will log, if a parameter says so."""
        from tui.backend.progress import total_steps

        params = {file: dict(values) for file, values in self.experiments()[0].params.items()}
        for override in self.check_overrides(set_params):
            if override.values:
                params.setdefault(override.file, {})[override.key] = override.values[0]
        return total_steps(params)

    def workspace_live_dir(self) -> Path:
        """Where a workspace run's DVCLive output goes."""
        from tui.backend.follow import live_dirs
        from tui.backend.index import build_index
        from tui.backend.sources import WorkspaceSource

        source = WorkspaceSource(self.repo.root, self.repo.dvc_dir)
        return live_dirs(build_index(source), self.repo.root)[0]

    # Acting on experiments -------------------------------------------------------------------

    def stop(self, name: str) -> str:
        """Stop a running run, or take a queued one out of the queue."""
        from tui.backend.dvc import run_dvc

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
            run_dvc(self.repo, "queue", "kill", dvc_target(experiment))
            return f"stopping {experiment.label}"
        if experiment is not None and experiment.status == "queued":
            run_dvc(self.repo, "queue", "remove", dvc_target(experiment))
            return f"removed {experiment.label} from the queue"
        raise BackendError(f"{target.label} is not running or queued: nothing to stop")

    def remove(self, names: list[str]) -> str:
        """`dvc exp remove`, once every name is resolved to one experiment that is not running.

        DVC is given full refs (or the queue entry's name), never the person's prefix, so that
        it cannot resolve the name to something else.
        """
        from tui.backend.dvc import run_dvc
        from tui.backend.targets import resolve_experiment

        rows = self._with_experiments()
        chosen: list[Experiment] = []
        for name in names:
            experiment = resolve_experiment(name, rows)
            if experiment.status == "running":
                raise BackendError(f"{experiment.label} is running: stop it first")
            if experiment not in chosen:
                chosen.append(experiment)
        run_dvc(self.repo, "exp", "remove", *(dvc_target(e) for e in chosen))
        return f"removed {', '.join(e.label for e in chosen)}"

    def apply(self, name: str) -> str:
        """`dvc exp apply`: the experiment's params, code and results into the workspace."""
        from tui.backend.dvc import run_dvc

        experiment = self._finished(name)
        run_dvc(self.repo, "exp", "apply", dvc_target(experiment))
        return f"applied {experiment.label} to the workspace"

    def branch(self, name: str, branch: str) -> str:
        """`dvc exp branch`: a git branch from the experiment."""
        from tui.backend.dvc import run_dvc

        experiment = self._finished(name)
        if not _valid_branch(branch):
            raise BackendError(f"{branch!r} is not a valid git branch name")
        if f"refs/heads/{branch}" in self.index.git.ref_targets("refs/heads/"):
            raise BackendError(f"a branch {branch!r} exists already: choose another name")
        run_dvc(self.repo, "exp", "branch", dvc_target(experiment), branch)
        return f"branch {branch} made from {experiment.label}"

    def _finished(self, name: str) -> Experiment:
        from tui.backend.targets import resolve_experiment

        experiment = resolve_experiment(name, self._with_experiments())
        if experiment.status != "success":
            raise BackendError(
                f"{experiment.label} is {experiment.status}: only finished experiments can be used"
            )
        return experiment

    def log_path(self, name: str) -> Path:
        """The log of a run of ours or of a queued run."""
        target = self.resolve(name)
        if target.run is not None:
            path = self.runs.log_path(target.run.id)
        elif target.experiment is not None and target.experiment.log:
            path = Path(target.experiment.log)
        else:
            raise BackendError(
                f"{target.label} has no log: it was run neither through catdog-tui nor the queue"
            )
        if not path.is_file():
            raise BackendError(f"the log of {target.label} is gone: {path} was deleted")
        return path

    # Sharing between machines ---------------------------------------------------------------

    def _git_remote(self, remote: str | None) -> GitRemote:
        from tui.backend.share import git_remote

        with self._listing_lock:  # libgit2's handle is shared with the listing
            return git_remote(self.index.git.repo, remote)

    def _local_exp_refs(self) -> dict[str, str]:
        with self._listing_lock:
            self.index.git.refresh()
            return self.index.git.ref_targets(EXPS_PREFIX)

    def _remote_rows(self, remote: GitRemote) -> list[Experiment]:
        from tui.backend.share import remote_refs, remote_rows

        refs = remote_refs(self.repo.root, remote)
        with self._listing_lock:
            return remote_rows(refs, self.index.git.commit_time)

    def remote_experiments(self, remote: str | None = None) -> list[Experiment]:
        """The experiments git remote `remote` (default `origin`) has and this repository does
        not, as rows with status "remote" and kind "experiment": name, rev, baseline, created
        where the commit is here (else None), no params or metrics. Grouped by baseline,
        newest first. Their `key` is `remote:<baseline>:<name>`, never a local row's. One
        `git ls-remote`: a network round trip, so call it from a worker."""
        from tui.backend.share import not_here

        rows = self._remote_rows(self._git_remote(remote))
        return not_here(rows, self._local_exp_refs())

    def push(
        self, names: list[str], remote: str | None = None, *, cache: bool = True,
        dvc_remote: str | None = None,
    ) -> str:  # fmt: skip
        """`dvc exp push`: finished experiments (strict names, see `targets`) to git remote
        `remote` (default `origin`), and their DVC-cached outputs to `dvc_remote` (default:
        the DVC default remote) unless `cache` is off. Everything is checked first: the names,
        both remotes, that the git remote answers, and that it holds no other experiment of
        the same baseline and name. A summary line."""
        from tui.backend.dvc import run_dvc
        from tui.backend.share import cache_remote, remote_refs, transfer_failure

        if not names:
            raise BackendError("name the experiments to push: `catdog-tui ls -A` lists them")
        chosen: list[Experiment] = []
        for name in names:
            experiment = self._finished(name)
            if experiment not in chosen:
                chosen.append(experiment)
        target = self._git_remote(remote)
        storage = cache_remote(self.repo, dvc_remote, cache)
        there = remote_refs(self.repo.root, target)
        for experiment in chosen:
            ref = dvc_target(experiment)
            if there.get(ref, experiment.rev) != experiment.rev:
                raise BackendError(
                    f"{experiment.label}: git remote {target.label} has another experiment of "
                    f"that name on the same commit (rev {there[ref][:7]}, here "
                    f"{experiment.rev[:7]}): remove one of them, or rename yours by running "
                    "it again with another --name"
                )
        argv = ["exp", "push", *_cache_flags(storage), target.name]
        with self._share_lock:
            try:
                run_dvc(self.repo, *argv, *(dvc_target(e) for e in chosen), remote=True)
            except BackendError as error:
                there = _refs_or_none(lambda: remote_refs(self.repo.root, target))
                moved = [e.label for e in chosen if there.get(dvc_target(e)) == e.rev]
                raise transfer_failure(target, "push", error, moved) from None
        return f"pushed {', '.join(e.label for e in chosen)} to {target.name}" + _cache_note(
            storage, "to"
        )

    def pull(
        self, names: list[str], remote: str | None = None, *, cache: bool = True,
        dvc_remote: str | None = None,
    ) -> str:  # fmt: skip
        """`dvc exp pull`: experiments of git remote `remote` (default `origin`), each named
        exactly or by a rev prefix of at least 4 hex digits among the remote's experiments,
        and their DVC-cached outputs from `dvc_remote` (default: the DVC default remote) into
        the cache, unless `cache` is off. Refused first: an unknown name, an ambiguous one,
        and one whose local experiment of the same baseline and name diverged. A summary."""
        from tui.backend.dvc import run_dvc
        from tui.backend.share import cache_remote, exp_ref, transfer_failure
        from tui.backend.targets import resolve_experiment

        if not names:
            raise BackendError("name the experiments to pull: `catdog-tui ls --remote NAME`")
        target = self._git_remote(remote)
        storage = cache_remote(self.repo, dvc_remote, cache)
        rows = self._remote_rows(target)
        here = self._local_exp_refs()
        listed_by = f"catdog-tui ls --remote {target.name}"
        chosen: list[Experiment] = []
        for name in names:
            row = resolve_experiment(name, rows, listed_by=listed_by)
            local = here.get(exp_ref(row), row.rev)
            if local != row.rev:
                raise BackendError(
                    f"{row.label}: this repository has another experiment of that name on the "
                    f"same commit (rev {local[:7]}, on {target.name} {row.rev[:7]}): remove "
                    "yours first (catdog-tui remove) to take the remote's"
                )
            if row not in chosen:
                chosen.append(row)
        argv = ["exp", "pull", *_cache_flags(storage), target.name]
        with self._share_lock:
            try:
                run_dvc(self.repo, *argv, *(exp_ref(row) for row in chosen), remote=True)
            except BackendError as error:
                here = self._local_exp_refs()
                moved = [r.label for r in chosen if here.get(exp_ref(r)) == r.rev]
                raise transfer_failure(target, "pull", error, moved) from None
        return f"pulled {', '.join(r.label for r in chosen)} from {target.name}" + _cache_note(
            storage, "from"
        )


def _refs_or_none(read: Callable[[], dict[str, str]]) -> dict[str, str]:
    """What a remote holds after a failure, or nothing known where it cannot be read now."""
    try:
        return read()
    except BackendError:
        return {}


def _cache_flags(storage: str | None) -> list[str]:
    return ["--no-cache"] if storage is None else ["--remote", storage]


def _cache_note(storage: str | None, direction: str) -> str:
    if storage is None:
        return "; cached outputs not moved (--no-cache)"
    return f"; cached outputs {direction} DVC remote {storage}"


def dvc_target(experiment: Experiment) -> str:
    """What to hand DVC for one resolved experiment: its full ref when it has one (DVC takes
    `refs/exps/...` as is), else the queue entry's name or stash rev."""
    if experiment.status == "success" and experiment.name and experiment.baseline:
        baseline = experiment.baseline
        return f"{EXPS_PREFIX}{baseline[:2]}/{baseline[2:]}/{experiment.name}"
    return experiment.name or experiment.rev


def _valid_branch(name: str) -> bool:
    import pygit2

    return pygit2.reference_is_valid_name(f"refs/heads/{name}")
