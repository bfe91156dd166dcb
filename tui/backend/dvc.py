"""DVC's own commands, run as argv lists: we drive DVC, we never reimplement it."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from tui.backend.errors import BackendError
from tui.backend.repo import DvcRepo
from tui.backend.runs import environment

DVC_TIMEOUT_S = 300.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def dvc_argv(*args: str) -> list[str]:
    """DVC from this very environment, whatever PATH holds."""
    return [sys.executable, "-m", "dvc", *args]


def exp_run_argv(
    set_params: Sequence[str], *, name: str | None = None, queue: bool = False
) -> list[str]:
    """`dvc exp run` with `-S` overrides (already checked), a name, or into the queue."""
    argv = dvc_argv("exp", "run")
    if name:
        argv += ["--name", name]
    if queue:
        argv.append("--queue")
    for item in set_params:
        argv += ["-S", item]
    return argv


def error_line(output: str) -> str:
    """DVC's own error message, without colour codes or the advice boilerplate."""
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    for line in lines:
        if line.startswith("ERROR:"):
            return line.removeprefix("ERROR:").strip()
    meaningful = [line for line in lines if line and not line.startswith(("Having any", "<"))]
    return meaningful[-1] if meaningful else "no output"


def no_prompt_environment() -> dict[str, str]:
    """The environment of a command that reaches a remote: it must fail rather than ask for a
    password, since nobody can answer (the app owns the terminal; a script has none). Git's
    own prompt is off, and so is ssh's graphical askpass; with no controlling terminal (see
    `run_dvc`'s `remote`) ssh cannot ask on /dev/tty either."""
    return {**environment(), "GIT_TERMINAL_PROMPT": "0", "SSH_ASKPASS_REQUIRE": "never"}


def run_dvc(repo: DvcRepo, *args: str, timeout: float = DVC_TIMEOUT_S, remote: bool = False) -> str:
    """Run a short DVC command to its end; its stdout, or BackendError with DVC's message.

    Output goes to temporary files (`run_quiet`): `dvc queue start` leaves daemonised workers
    behind that inherit its output, and a pipe would stay open (and this call waiting) until
    the whole queue had drained. `remote`: the command reaches a git or DVC remote, and runs
    without a terminal so that a credential prompt fails instead of waiting for an answer.
    """
    try:
        code, stdout, stderr = run_quiet(dvc_argv(*args), repo.root, timeout=timeout, remote=remote)
    except subprocess.TimeoutExpired:
        raise BackendError(f"`dvc {' '.join(args)}` took over {timeout:.0f} s: gave up") from None
    if code != 0:
        raise BackendError(
            f"dvc {args[0]} {args[1] if len(args) > 1 else ''}: "
            f"{error_line(stderr + stdout)}".replace("  ", " ")
        )
    return stdout


def run_quiet(
    argv: list[str], cwd: Path, *, timeout: float, remote: bool = False
) -> tuple[int, str, str]:
    """Run a command to its end: exit code, stdout, stderr (TimeoutExpired past `timeout`).

    Output goes to temporary files, not pipes: what a command leaves behind (DVC's queue
    workers, an ssh ControlPersist master) inherits its output and would hold a pipe open.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=no_prompt_environment() if remote else environment(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            timeout=timeout,
            check=False,
            start_new_session=remote,
        )
        return done.returncode, _read_all(out), _read_all(err)


def _read_all(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", errors="replace")
