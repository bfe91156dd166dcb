"""`python -m tui.backend.supervise RUN_DIR`: the parent of one detached run.

It is started in a session of its own, so it belongs to no terminal: a killed launcher or a
dropped SSH connection (SIGHUP) does not reach it. It runs the command recorded in
`RUN_DIR/run.json` with its output going to `RUN_DIR/log.txt`, and is the only writer of that
record from then on: its pid while it runs, then the exit code, end time and status. SIGTERM
asks it to stop the run: SIGINT to the command's process group (as Ctrl-C would), then SIGTERM,
then SIGKILL if the command will not go.

Standard library only: it starts in a few milliseconds and outlives any upgrade of the app.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from tui.backend.runrecord import (
    LOG,
    RunRecord,
    RunStatus,
    process_start_ticks,
    read_record,
    write_record,
)

STOP_GRACE_S = (20.0, 5.0)
"""How long a stopping run has after SIGINT, then after SIGTERM, before SIGKILL."""
ORPHAN_GRACE_S = 2.0
"""How long what is left of a stopped run's group has once DVC itself has exited."""


def _stop_group(group: int, child: subprocess.Popen[bytes]) -> None:
    """Stop the whole group, not only DVC: a stage that outlives DVC's exit (slow to handle
    Ctrl-C, or ignoring it) would go on training with nobody to record it."""
    for sig, grace in zip((signal.SIGINT, signal.SIGTERM), STOP_GRACE_S, strict=True):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if child.poll() is not None:  # DVC is gone (reaped): what is left has a moment
                deadline = min(deadline, time.monotonic() + ORPHAN_GRACE_S)
            if not _group_alive(group):
                return
            time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _save(run_dir: Path, record: RunRecord) -> None:
    # The folder may have been deleted under us (`rm -rf .dvc/tmp`): a record must remain.
    run_dir.mkdir(parents=True, exist_ok=True)
    write_record(run_dir, record)


class _LogRescue:
    """Once the run's folder is deleted, the log lives on only as the file the command still
    writes to: copy it, and what follows, into a new log where readers look."""

    def __init__(self, run_dir: Path, log_fd: int) -> None:
        self.run_dir, self.log_fd = run_dir, log_fd
        self.active = False
        self.copied = 0

    def check(self, record: RunRecord) -> None:
        if not self.active and not self.run_dir.is_dir():
            self.active = True
            record.note = (
                f"{self.run_dir} was deleted while the run went on; the supervisor made it "
                "again, with the log copied from the file the run still held"
            )
            _save(self.run_dir, record)
        if self.active:
            self.copy()

    def copy(self) -> None:
        if not self.active:
            return
        try:
            with (self.run_dir / LOG).open("ab") as rescued:
                while chunk := os.pread(self.log_fd, 1 << 20, self.copied):
                    rescued.write(chunk)
                    self.copied += len(chunk)
        except OSError:
            self.active = False  # deleted again: the next check starts over


def supervise(run_dir: Path) -> int:
    """Run the recorded command to its end and record how it ended."""
    record = read_record(run_dir)
    stop_requested = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    # Readable too: the rescue reads back what the command wrote.
    with (run_dir / LOG).open("a+b") as log:
        try:
            child = subprocess.Popen(
                record.argv,
                cwd=record.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A group of its own, so that stopping reaches DVC and the stage it runs.
                # (preexec_fn rather than process_group=0, which needs Python 3.11.)
                preexec_fn=os.setpgrp,
            )
        except OSError as error:
            log.write(f"cannot start {record.argv[0]}: {error}\n".encode())
            record.finish(status="failed", exit_code=127)
            _save(run_dir, record)
            return 127

        record.mark_running(os.getpid(), process_start_ticks(os.getpid()), child.pid)
        _save(run_dir, record)
        rescue = _LogRescue(run_dir, log.fileno())

        stopping = False
        while True:
            try:
                exit_code = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                rescue.check(record)
                if stop_requested and not stopping:
                    stopping = True
                    _stop_group(child.pid, child)
        rescue.check(record)

    status: RunStatus = "stopped" if stop_requested else ("success" if exit_code == 0 else "failed")
    if status != "success":
        _put_back(record, run_dir)
    record.finish(status=status, exit_code=exit_code)
    _save(run_dir, record)
    return 0


def _put_back(record: RunRecord, run_dir: Path) -> None:
    """A run that did not succeed leaves DVC's overrides in the params files: the next run
    would fail the same way. Put them back as they were before it."""
    restored = []
    for name, text in record.restore.items():
        path = Path(record.cwd) / name
        try:
            if path.read_text() == text:
                continue
            partial = path.with_name(f".{path.name}.catdog-tui.tmp")
            partial.write_text(text)
            partial.replace(path)
            restored.append(name)
        except OSError:
            continue
    if restored:
        with contextlib.suppress(OSError), (run_dir / LOG).open("a") as log:
            log.write(f"catdog-tui: put {', '.join(restored)} back as before this run\n")


def main() -> None:
    """Entry point; the launcher passes the run's folder."""
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tui.backend.supervise RUN_DIR")
    sys.exit(supervise(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
