"""Detached runs: start a command that outlives us, find it again later, stop it, read its log."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.backend.errors import BackendError
from tui.backend.repo import DvcRepo
from tui.backend.runrecord import LOG, RunRecord, read_record, settle, write_record


def environment() -> dict[str, str]:
    # Stage commands say `python` and `dvc`: make them this environment's, even when the app
    # was started as .venv/bin/catdog-tui without activating the environment.
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        path = f"{bin_dir}{os.pathsep}{path}"
    return {**os.environ, "PATH": path, "DVC_NO_ANALYTICS": os.environ.get("DVC_NO_ANALYTICS", "1")}


class RunStore:
    """The runs started through the backend in one repository."""

    def __init__(self, repo: DvcRepo) -> None:
        self.repo = repo
        self.root = repo.state_dir / "runs"

    def launch(
        self,
        argv: list[str],
        *,
        name: str | None = None,
        baseline: str | None = None,
        restore: dict[str, str] | None = None,
    ) -> RunRecord:
        """Start `argv` in the repository root, detached from this process and its terminal.
        `restore` holds params files to put back as they were if the run does not succeed."""
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        run_dir = self.root / run_id
        record = RunRecord(id=run_id, argv=argv, cwd=str(self.repo.root), name=name,
                           baseline=baseline, restore=restore or {})  # fmt: skip
        try:
            run_dir.mkdir(parents=True)
            write_record(run_dir, record)
            (run_dir / LOG).touch()
        except OSError as error:
            raise BackendError(
                f"cannot write the run's record in {self.root} ({error.strerror}): runs need a "
                "writable repository, .dvc/tmp included"
            ) from None
        subprocess.Popen(
            [sys.executable, "-m", "tui.backend.supervise", str(run_dir)],
            cwd=self.repo.root,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        return record

    def run_dir(self, run_id: str) -> Path:
        """Where a run's record and log live."""
        return self.root / run_id

    def get(self, run_id: str) -> RunRecord:
        """A run's record as it stands now (a vanished run reads as failed)."""
        try:
            record = read_record(self.run_dir(run_id))
        except FileNotFoundError:
            raise BackendError(f"no run {run_id!r}: `catdog-tui ls` lists what there is") from None
        settled = settle(record)
        if settled.finished and settled.note and settled.exit_code is None:
            # Persist the verdict so that every later reader agrees on it (where we may write).
            with contextlib.suppress(OSError):
                write_record(self.run_dir(run_id), settled)
        return settled

    def all(self) -> list[RunRecord]:
        """Every recorded run, oldest first."""
        if not self.root.is_dir():
            return []
        records = []
        for run_dir in sorted(self.root.iterdir()):
            try:
                records.append(self.get(run_dir.name))
            except (BackendError, OSError):
                continue  # a folder without a record: nothing that was ever a run of ours
        return records

    def active(self) -> list[RunRecord]:
        """Runs whose processes are still going."""
        return [record for record in self.all() if not record.finished]

    def forget(self, run_id: str) -> RunRecord:
        """Delete a finished run's record and log."""
        record = self.get(run_id)
        if not record.finished:
            raise BackendError(f"run {record.name or run_id} is still going: stop it first")
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        return record

    def log_path(self, run_id: str) -> Path:
        """The run's combined stdout and stderr."""
        return self.run_dir(run_id) / LOG

    def wait(self, run_id: str, timeout: float | None = None) -> RunRecord:
        """Block until the run has finished (or `timeout` seconds have passed)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.get(run_id)
            if record.finished or (deadline is not None and time.monotonic() > deadline):
                return record
            time.sleep(0.1)

    def stop(self, run_id: str) -> RunRecord:
        """Ask a run's supervisor to stop it (Ctrl-C, then harder); returns at once."""
        record = self.get(run_id)
        if record.finished:
            raise BackendError(f"run {run_id} has already ended ({record.status})")
        if record.supervisor_pid is None:
            raise BackendError(f"run {run_id} is still starting: try again in a moment")
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.supervisor_pid, signal.SIGTERM)
        return record


def follow_lines(path: Path, *, done: Callable[[], bool] | None = None) -> Iterator[str]:
    """Complete lines of a growing log file; ends once `done()` is true and the file has been
    read to its end (never, without `done`)."""
    offset = 0
    pending = b""
    while True:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except FileNotFoundError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")
        if not chunk:
            if done is not None and done():
                if pending:
                    yield pending.decode("utf-8", errors="replace")
                return
            time.sleep(0.1)
