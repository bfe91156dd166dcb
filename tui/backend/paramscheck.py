"""The project's own check of its params, run before a launch.

Types are checked from the params file itself (overrides.py); ranges and choices are the
pipeline's own rules (`n_epochs` at least 1, a known backbone). A project states how to check
them in `.catdog-tui.toml` at its root:

    [params]
    check = ["python", "-m", "training.params", "{params}"]

The command runs in the repository with `{params}` replaced by a scratch copy of `params.yaml`
with the overrides applied; exit status 0 means fine, anything else refuses the launch with the
command's last line of output. It runs as a subprocess, so the UI never imports the pipeline
(or TensorFlow).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui.backend.errors import BackendError

SETTINGS_FILE = ".catdog-tui.toml"
CHECK_TIMEOUT_S = 60.0


def check_command(root: Path) -> list[str] | None:
    """The project's params check, if `.catdog-tui.toml` names one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - DVC brings tomli on 3.10
        import tomli as tomllib

    try:
        settings = tomllib.loads((root / SETTINGS_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise BackendError(f"{SETTINGS_FILE} does not parse ({error}): fix it first") from None
    command = settings.get("params", {}).get("check")
    if command is None:
        return None
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) for part in command)
    ):
        raise BackendError(f"{SETTINGS_FILE}: params.check must be a list of strings (argv)")
    return command


def run_check(root: Path, command: list[str], params: Path, shown_as: str) -> str | None:
    """Why the project refuses `params` (its last line of output), or None."""
    from tui.backend.runs import environment

    argv = [str(params) if part == "{params}" else part for part in command]
    try:
        done = subprocess.run(
            argv, cwd=root, env=environment(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackendError(
            f"the params check of {SETTINGS_FILE} ({' '.join(command)}) did not run: {error}"
        ) from None
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    reason = lines[-1] if lines else f"exit status {done.returncode}"
    return reason.removeprefix("error: ").replace(str(params), shown_as)
