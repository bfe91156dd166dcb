"""The experiments listing: what `dvc exp show` reports, read straight from git and disk.

No DVC import and no DVC lock: refs, commits and blobs come from libgit2, queue and run state
from the files DVC keeps under `.dvc/tmp/exps`. What a commit holds is computed once per process
(a commit never changes), so a refresh costs only the workspace, the running runs and what is
new.

A new process whose commits are all in the value cache, and whose workspace is unchanged since
it was last read (valuecache.py), imports none of the readers (index.py, sources.py, and with
them YAML, TOML and DVC's pipeline rules); they are imported on the first miss. Those imports
were about 35 ms of the 125 ms a cached `catdog-tui ls` took (`python -X importtime`, 500
experiments, on the development machine).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from tui.backend.gitstore import GitStore
from tui.backend.queue import QueueEntry, read_queue
from tui.backend.record import Record
from tui.backend.repo import DvcRepo
from tui.backend.valuecache import ValueCache
from tui.backend.values import Values

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Any, Literal

    from tui.backend.index import ProjectIndex
    from tui.backend.sources import CommitSource

    # "remote": an experiment a git remote has and this repository does not (share.py).
    Status = Literal["workspace", "queued", "running", "success", "failed", "remote"]
    Kind = Literal["workspace", "baseline", "experiment"]
EXPS_PREFIX = "refs/exps/"
# Versioned by how values are read: values stored by a reader with other rules (say, one that
# found no metrics inside cached outputs) are not reused.
VALUES_FILE = "values-2.json"
_Blobs = tuple[tuple[str, str | None], ...]


class Experiment(Record):
    """One row of the listing."""

    def __init__(
        self,
        kind: Kind,
        name: str | None,
        rev: str,
        baseline: str | None,
        status: Status,
        created: datetime | None,
        params: dict[str, dict[str, Any]] | None = None,
        metrics: dict[str, dict[str, Any]] | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        log: str | None = None,
        live_root: str | None = None,
        run_id: str | None = None,
        eta_at: float | None = None,
    ) -> None:
        self.kind: Kind = kind
        self.name = name
        self.rev = rev
        self.baseline = baseline
        self.status: Status = status
        self.created = created
        self.params: dict[str, dict[str, Any]] = {} if params is None else params
        self.metrics: dict[str, dict[str, Any]] = {} if metrics is None else metrics
        self.errors: dict[str, str] = {} if errors is None else errors
        """Params or metrics file to why DVC cannot read it."""
        self.error = error
        """Why DVC cannot read this revision at all (then it has no params or metrics)."""
        self.log = log
        """Where a queued run's output goes (DVC's own log), if it has started."""
        self.live_root = live_root
        """The folder a running experiment writes to (the workspace or a queued run's copy)."""
        self.run_id = run_id
        """A run of ours that DVC does not list (it failed, or is starting)."""
        self.eta_at = eta_at
        """When a running experiment should end (seconds since the epoch), where that can be
        measured (progress.py). The time left is counted from it when shown: it runs down."""

    @property
    def key(self) -> str:
        """A key that stays with the row while it lives: a queued or running experiment keeps
        it when it finishes and its rev changes (DVC names it when it is queued or started).
        A row of a remote's experiment that is not here is keyed apart (`remote:...`): its
        baseline and name may be those of a local experiment that diverged from it."""
        if self.kind == "workspace":
            return "workspace"
        if self.kind == "baseline":
            return f"baseline:{self.rev}"
        if self.status == "remote":
            return f"remote:{self.baseline}:{self.name}"
        if self.name:
            return f"{self.baseline}:{self.name}"
        return self.rev

    @property
    def label(self) -> str:
        """What a person calls it: its name, else the short rev."""
        return self.name or (self.rev if self.rev == "workspace" else self.rev[:7])

    def with_eta(self, eta_at: float | None) -> Experiment:
        """A copy of the row with the time its run should end (rows are shared: never
        changed)."""
        import copy

        timed = copy.copy(self)
        timed.eta_at = eta_at
        return timed

    def seconds_left(self, now: float) -> float | None:
        """Seconds from `now` to when the run should end (below zero once that is past)."""
        return self.eta_at - now if self.eta_at is not None else None

    def as_json(self, now: float | None = None) -> dict[str, Any]:
        """The `catdog-tui ls --json` object of this row; `eta_s` is counted at `now` (the
        time of printing when None), and is 0 once `eta_at` is past."""
        left = self.seconds_left(time.time() if now is None else now)
        return {
            "name": self.name,
            "rev": self.rev,
            "baseline": self.baseline,
            "status": self.status,
            "created": self.created.isoformat() if self.created else None,
            "params": self.params,
            "metrics": self.metrics,
            "errors": self.errors,
            "error": self.error,
            "eta_s": round(max(left, 0.0), 1) if left is not None else None,
            "eta_at": (
                datetime.fromtimestamp(self.eta_at).astimezone().isoformat()
                if self.eta_at is not None
                else None
            ),
        }


def parse_exp_ref(ref: str) -> tuple[str, str] | None:
    """(baseline rev, name) of `refs/exps/ab/cdef.../name`; None for other refs under exps."""
    parts = ref.removeprefix(EXPS_PREFIX).split("/")
    if len(parts) != 3 or len(parts[0]) != 2 or len(parts[0] + parts[1]) != 40:
        return None
    return parts[0] + parts[1], parts[2]


_Rows = list["Experiment"]

PENDING = Values()
"""The values of a commit not read yet (never stored): its row shows none for a moment."""


class ExperimentIndex:
    """Lists a repository's experiments; keep one per repository for cached refreshes."""

    def __init__(self, repo: DvcRepo) -> None:
        self.repo = repo
        self._stored = ValueCache(repo.state_dir / "cache" / VALUES_FILE)
        self.git = GitStore(repo.root, self._stored.commits)
        self._indexes: dict[_Blobs, list[tuple[_Blobs, ProjectIndex]]] = {}
        self._committed_rows: dict[tuple[object, ...], Experiment] = {}
        self._read_until: float | None = None
        self.pending = 0
        """Commits the last listing left without values (see `list`)."""
        self._rows_listed: dict[tuple[object, ...], Experiment] = {}

    def _blobs(self, rev: str, paths: Iterable[str]) -> _Blobs:
        return tuple((path, self.git.blob_id(rev, path)) for path in paths)

    def _commit_index(self, source: CommitSource) -> ProjectIndex:
        from tui.backend.index import DEFAULT_PARAMS, build_index

        # Most commits share their dvc.yaml files: index them once per set of the blobs an
        # index was built from (dvc.yaml files, and what they load: vars, dvc.lock).
        key = self._blobs(source.rev, (*source.dvcfiles(), DEFAULT_PARAMS))
        candidates = self._indexes.setdefault(key, [])
        for inputs, index in candidates:
            if self._blobs(source.rev, (path for path, _ in inputs)) == inputs:
                return index
        index = build_index(source)
        candidates.append((self._blobs(source.rev, sorted(index.inputs)), index))
        return index

    def _commit_values(self, rev: str) -> Values:
        stored = self._stored.get(rev)
        if stored is not None:
            return stored
        if self._read_until is not None and time.monotonic() > self._read_until:
            self.pending += 1
            return PENDING
        from tui.backend.index import read_values
        from tui.backend.sources import CommitSource

        source = CommitSource(self.git, rev, self.repo.dvc_dir)
        values = read_values(source, self._commit_index(source), commit=True)
        # A commit's files never change; only an object missing from DVC's cache may arrive.
        if not source.missed_cache:
            self._stored.put(rev, values)
        return values

    def _workspace_values(self, root: Path | None = None) -> Values:
        root = root or self.repo.root
        # The workspace's values are kept on disk (not a queued run's temporary copy).
        kept = root == self.repo.root
        if kept and (stored := self._stored.workspace(str(root))) is not None:
            return stored
        from tui.backend.index import build_index, read_values
        from tui.backend.sources import WorkspaceSource

        source = WorkspaceSource(root, self.repo.dvc_dir)
        values = read_values(source, build_index(source))
        if kept:
            self._stored.put_workspace(str(root), source.inputs, values)
        return values

    def _row(self, kind: Kind, rev: str, name: str | None, baseline: str | None,
             status: Status, log: str | None = None) -> Experiment:  # fmt: skip
        # A commit's row never changes: the same object comes back while the commit is listed,
        # so a refresh compares it with the last one by identity. Nobody changes a row.
        identity = (kind, rev, name, baseline, status, log)
        row = self._committed_rows.get(identity)
        values = self._commit_values(rev)  # the same object while stored; read anew on a miss
        if row is None or row.params is not values.params or row.metrics is not values.metrics:
            row = Experiment(
                kind=kind,
                name=name,
                rev=rev,
                baseline=baseline,
                status=status,
                created=self.git.commit_time(rev),
                params=values.params,
                metrics=values.metrics,
                errors=values.errors,
                error=values.error,
                log=log,
            )
        self._rows_listed[identity] = row
        return row

    def baselines(self, num: int = 1, all_commits: bool = False) -> list[str]:
        """The baseline commits `dvc exp show -n num` / `-A` would show: `num` first parents
        of HEAD (all of them when negative, none when 0, as dvc/scm.py `_get_n_commits`)."""
        head = self.git.head()
        if head is None:
            return []
        if all_commits:
            return self.git.all_commits()
        return self.git.first_parents(head, num if num >= 0 else None)

    def with_experiments(self) -> list[Experiment]:
        """Every baseline that has experiments (committed or in the queue), each followed by
        them: where a name typed by a person is looked up, whatever the current commit."""
        self.git.refresh()
        baselines = {parsed[0] for ref in self.git.ref_targets(EXPS_PREFIX)
                     if (parsed := parse_exp_ref(ref)) is not None}  # fmt: skip
        baselines.update(entry.baseline for entry in read_queue(self.repo, self.git))
        head = self.git.head()
        if head is not None:
            baselines.add(head)  # so that its prefix is refused as a baseline, by name
        return self._baseline_rows(sorted(baselines))

    def _baseline_rows(self, baselines: list[str]) -> list[Experiment]:
        rows: list[Experiment] = []
        by_baseline: dict[str, list[Experiment]] = {rev: [] for rev in baselines}
        finished_logs: dict[tuple[str, str | None], str | None] = {}
        queued: list[QueueEntry] = []
        for entry in read_queue(self.repo, self.git):
            if entry.status == "success":
                finished_logs[(entry.baseline, entry.name)] = entry.log
            elif entry.baseline in by_baseline:
                queued.append(entry)
        self._rows_listed = {}
        for ref, rev in self.git.ref_targets(EXPS_PREFIX).items():
            parsed = parse_exp_ref(ref)
            if parsed is None or parsed[0] not in by_baseline:
                continue
            baseline, name = parsed
            log = finished_logs.get((baseline, name))
            by_baseline[baseline].append(
                self._row("experiment", rev, name, baseline, "success", log)
            )
        for entry in queued:
            by_baseline[entry.baseline].append(self._queue_row(entry))
        names = self.git.names(baselines)
        for rev in baselines:
            rows.append(self._row("baseline", rev, names[rev], rev, "success"))
            rows.extend(_in_dvc_order(by_baseline[rev]))
        self._committed_rows = self._rows_listed
        self._stored.save()
        return rows

    def list(
        self, num: int = 1, all_commits: bool = False, within_s: float | None = None
    ) -> list[Experiment]:
        """Workspace, then each baseline followed by its experiments (newest first).

        Nothing at all, not even the workspace, before the first commit: as `dvc exp show`.
        `within_s`: commits not read by then (none cached yet: a first listing of thousands)
        are listed without values (`PENDING`), and `pending` counts them; the next listing
        reads them.
        """
        self.pending = 0
        self._read_until = None if within_s is None else time.monotonic() + within_s
        try:
            return self._list(num, all_commits)
        finally:
            self._read_until = None

    def _list(self, num: int, all_commits: bool) -> _Rows:
        self.git.refresh()
        if self.git.head() is None:
            return []
        workspace_values = self._workspace_values()
        rows = [
            Experiment(
                kind="workspace",
                name=None,
                rev="workspace",
                baseline=self.git.head(),
                status="workspace",
                created=None,
                params=workspace_values.params,
                metrics=workspace_values.metrics,
                errors=workspace_values.errors,
                error=workspace_values.error,
            )
        ]
        return [*rows, *self._baseline_rows(self.baselines(num, all_commits))]

    def _queue_row(self, entry: QueueEntry) -> Experiment:
        if entry.status == "running":
            values = self._workspace_values(entry.run_root) if entry.run_root else Values()
        else:
            values = self._commit_values(entry.rev)
        # A queued entry's metrics are whatever the workspace held when it was queued: DVC
        # shows none, nor their errors.
        metrics, errors = values.metrics, values.errors
        if entry.status == "queued":
            metrics, errors = {}, self._param_errors(entry.rev, values.errors)
        return Experiment(
            kind="experiment",
            name=entry.name,
            rev=entry.rev,
            baseline=entry.baseline,
            status=entry.status,
            created=entry.created,
            params=values.params,
            metrics=metrics,
            errors=errors,
            error=values.error,
            log=entry.log,
            live_root=str(entry.run_root) if entry.run_root else None,
        )

    def _param_errors(self, rev: str, errors: dict[str, str]) -> dict[str, str]:
        if not errors:
            return errors
        from tui.backend.sources import CommitSource

        index = self._commit_index(CommitSource(self.git, rev, self.repo.dvc_dir))
        folders = [m.path for m in index.metrics]
        return {
            path: error
            for path, error in errors.items()
            if not any(path == f or path.startswith(f"{f}/") for f in folders)
        }


_GROUP_ORDER = {"running": 0, "success": 1, "queued": 2, "failed": 3}


def _in_dvc_order(experiments: list[Experiment]) -> list[Experiment]:
    """Running, finished, queued, failed; newest first within each, as `dvc exp show`."""
    ordered = sorted(
        experiments,
        key=lambda e: (e.created.timestamp() if e.created else 0.0, e.rev),
        reverse=True,
    )
    return sorted(ordered, key=lambda e: _GROUP_ORDER.get(e.status, 1))
