"""DVC's experiment queue and active runs, read from the files DVC keeps (DVC 3).

- Queued: celery messages in `.dvc/tmp/exps/celery/broker/in/*.msg` (task `run_exp`), whose body
  names the stash commit (params as queued), its baseline and name.
- Taken by a worker: the same messages in `broker/processed/`. No result file
  `result/celery-task-meta-<task id>` yet means running; the run's infofile
  `.dvc/tmp/exps/run/<stash rev>/<stash rev>.run` says where (`root_dir`), and once finished
  whether it succeeded (`result_hash`) or failed. Successes are listed through their refs.
- A workspace `dvc exp run`: `.dvc/tmp/exps/run/workspace/workspace.{run,json}` while its pid lives.

Every file here may be half-written or gone by the time it is read: unreadable ones are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from tui.backend.gitstore import GitStore
from tui.backend.record import Record
from tui.backend.repo import DvcRepo

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Any, Final, Literal

    QueueStatus = Literal["queued", "running", "failed", "success"]

RUN_EXP_TASK = "dvc.repo.experiments.queue.tasks.run_exp"
READY = frozenset({"SUCCESS", "FAILURE", "REVOKED"})
ACTIVE_WORKSPACE_STATUSES = frozenset({0, 1, 2})  # TaskStatus PENDING, PREPARING, RUNNING


class QueueEntry(Record):
    """One entry of the celery queue (or a workspace run) and what became of it. Not a
    dataclass: see record.py."""

    def __init__(
        self,
        rev: str,
        name: str | None,
        baseline: str,
        status: QueueStatus,
        created: datetime | None = None,
        log: str | None = None,
        run_root: Path | None = None,
        task_id: str | None = None,
    ) -> None:
        self.rev: Final = rev
        """The stash commit holding its params ("workspace" for a workspace run)."""
        self.name: Final = name
        self.baseline: Final = baseline
        self.status: Final[QueueStatus] = status
        self.created: Final = created
        self.log: Final = log
        self.run_root: Final = run_root
        """The working tree it runs in, while it runs."""
        self.task_id: Final = task_id

    def __hash__(self) -> int:
        return hash(tuple(vars(self).values()))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def _run_exp_entries(folder: Path) -> Iterator[tuple[str, dict[str, Any], float]]:
    """(task id, entry dict, file mtime) of every `run_exp` message in a broker folder."""
    try:
        paths = sorted(folder.iterdir())
    except OSError:
        return
    for path in paths:
        if path.suffix != ".msg":
            continue
        message = _read_json(path)
        if not isinstance(message, dict):
            continue
        headers = message.get("headers") or {}
        if headers.get("task") != RUN_EXP_TASK:
            continue
        import base64  # only with a queue: 1 ms of every `ls` otherwise

        try:
            body = json.loads(base64.b64decode(message["body"]))
            args, kwargs = body[0], body[1]
            entry = kwargs.get("entry_dict") or args[0]
            mtime = path.stat().st_mtime
        except (KeyError, IndexError, TypeError, ValueError, OSError):
            continue
        if isinstance(entry, dict) and entry.get("stash_rev"):
            yield str(headers.get("id")), entry, mtime


def _process_info(run_dir: Path, rev: str) -> tuple[str | None, int | None]:
    info = _read_json(run_dir / rev / f"{rev}.json")
    if not isinstance(info, dict):
        return None, None
    return info.get("stdout"), info.get("pid")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_queue(repo: DvcRepo, git: GitStore) -> list[QueueEntry]:
    """Queued, running and failed entries, as `dvc exp show` lists them."""
    celery = repo.exps_tmp / "celery"
    run_dir = repo.exps_tmp / "run"
    entries: list[QueueEntry] = []
    for _task, entry, _ in _run_exp_entries(celery / "broker" / "in"):
        rev = entry["stash_rev"]
        entries.append(
            QueueEntry(
                rev,
                entry.get("name"),
                entry.get("baseline_rev", ""),
                "queued",
                created=git.commit_time(rev),
                task_id=_task,
            )
        )
    for task_id, entry, _ in _run_exp_entries(celery / "broker" / "processed"):
        rev = entry["stash_rev"]
        result = _read_json(celery / "result" / f"celery-task-meta-{task_id}")
        info = _read_json(run_dir / rev / f"{rev}.run")
        log, _pid = _process_info(run_dir, rev)
        name, baseline = entry.get("name"), entry.get("baseline_rev", "")
        if not isinstance(result, dict) or result.get("status") not in READY:
            root = info.get("root_dir") if isinstance(info, dict) else None
            entries.append(
                QueueEntry(
                    rev,
                    name,
                    baseline,
                    "running",
                    log=log,
                    run_root=Path(root) if root else None,
                    task_id=task_id,
                )
            )
        elif isinstance(info, dict) and info.get("result_hash"):
            # Listed through its experiment ref; kept here for its log.
            entries.append(QueueEntry(rev, name, baseline, "success", log=log, task_id=task_id))
        else:
            entries.append(
                QueueEntry(
                    rev,
                    name,
                    baseline,
                    "failed",
                    created=git.commit_time(rev),
                    log=log,
                    task_id=task_id,
                )
            )
    workspace = _workspace_run(repo)
    if workspace is not None:
        entries.append(workspace)
    return entries


def _workspace_run(repo: DvcRepo) -> QueueEntry | None:
    folder = repo.exps_tmp / "run" / "workspace"
    info = _read_json(folder / "workspace.run")
    process = _read_json(folder / "workspace.json")
    if not isinstance(info, dict) or not isinstance(process, dict):
        return None
    if info.get("status") not in ACTIVE_WORKSPACE_STATUSES or not _pid_alive(process.get("pid")):
        return None
    return QueueEntry(
        "workspace",
        info.get("name"),
        str(info.get("baseline_rev") or ""),
        "running",
        run_root=repo.root,
    )
