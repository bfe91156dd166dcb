"""Experiments between machines: a git remote carries their refs, a DVC remote their outputs.

DVC moves them (`dvc exp push`, `dvc exp pull`); this module decides what to hand it, checks
first what would make it fail half-way, and reads what a git remote holds.

What a remote holds is read with `git ls-remote`, not `dvc exp list REMOTE`: DVC's listing of
a remote prints names and short baseline names only (no revs, so no rev prefixes and no row
keys), and it takes DVC's repository lock, which a running experiment holds. The refs it lists
are the ones DVC keeps, `refs/exps/<2 hex>/<38 hex>/<name>`, read by `parse_exp_ref` as for
the local listing; the tests check the two listings agree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui.backend.errors import BackendError
from tui.backend.experiments import EXPS_PREFIX, Experiment, parse_exp_ref

if TYPE_CHECKING:
    from collections.abc import Callable

    import pygit2

    from tui.backend.repo import DvcRepo

DEFAULT_REMOTE = "origin"
"""The git remote when none is named: git's own default, the one DVC's documentation pushes
experiments to (`dvc exp push origin`); DVC's commands have no default of their own."""
LS_REMOTE_TIMEOUT_S = 60.0
# A remote given as a URL or a path rather than a remote's name: scheme://, user@host:path,
# or a path (DVC takes all of them, as git does).
_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/:]+@[^/:]+:|/|\./|\.\./|~)", re.IGNORECASE)
# What git, ssh, dulwich and HTTP servers say when they refuse who we are, lower-cased.
_AUTH_FAILURES = (
    "permission denied", "authentication failed", "could not read username",
    "could not read password", "terminal prompts disabled", "host key verification failed",
    "access denied", "invalid username or password", "error: 401", "error: 403",
    "401 unauthorized", "403 forbidden",
)  # fmt: skip


@dataclass(frozen=True)
class GitRemote:
    """A git remote as the person gave it (a remote's name, or a URL), and its URL."""

    name: str
    url: str

    @property
    def label(self) -> str:
        """How to name it in a message: the name and, when they differ, the URL."""
        return repr(self.name) if self.name == self.url else f"{self.name!r} ({self.url})"


def git_remote(repo: pygit2.Repository, given: str | None) -> GitRemote:
    """The git remote `given` names (default `origin`), refused unless it is configured here or
    is a URL or path."""
    name = given if given is not None else DEFAULT_REMOTE
    names = sorted(name for name in repo.remotes.names() if name)
    if name in names:
        return GitRemote(name, repo.remotes[name].url or name)
    if given is not None and _URL.match(given):
        return GitRemote(given, given)
    if not names:
        raise BackendError(
            f"this repository has no git remote (no {name!r}): add the one the machines share "
            f"(git remote add {DEFAULT_REMOTE} URL), or give a URL with --remote"
        )
    hint = " (the default)" if given is None else ""
    raise BackendError(
        f"no git remote called {name!r}{hint}; this repository has {', '.join(names)}: "
        "name one with --remote NAME, or give a URL (git remote -v lists them)"
    )


def remote_failure(remote: GitRemote, output: str) -> str:
    """One line for a remote that git or DVC could not use: unreachable, or refusing us. It
    quotes the line that says why (ssh's refusal, not git's "could not read" after it)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    refusals = [line for line in lines if any(m in line.lower() for m in _AUTH_FAILURES)]
    errors = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    line = (refusals or errors or lines or ["no output"])[0]
    line = re.sub(r"^(fatal|error):\s*", "", line, flags=re.IGNORECASE)
    if refusals:
        return (
            f"git remote {remote.label} refused access ({line}): set up an SSH key or a git "
            f"credential helper so that `git ls-remote {remote.name}` works without a prompt"
        )
    return (
        f"git remote {remote.label} cannot be reached ({line}): check its URL "
        "(git remote -v) and the network"
    )


def remote_refs(root: Path, remote: GitRemote) -> dict[str, str]:
    """The experiment refs a git remote holds, each to its commit (`git ls-remote`)."""
    from tui.backend.dvc import run_quiet

    git = shutil.which("git")
    if git is None:
        raise BackendError("git is not installed: it is needed to read what a remote holds")
    argv = [git, "ls-remote", "--refs", remote.name, f"{EXPS_PREFIX}*"]
    try:
        code, out, err = run_quiet(argv, root, timeout=LS_REMOTE_TIMEOUT_S, remote=True)
    except subprocess.TimeoutExpired:
        raise BackendError(
            f"git remote {remote.label} did not answer within {LS_REMOTE_TIMEOUT_S:.0f} s: "
            "check its URL (git remote -v) and the network"
        ) from None
    if code != 0:
        raise BackendError(remote_failure(remote, err + out))
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if parse_exp_ref(ref) is not None:
            refs[ref] = sha
    return refs


def exp_ref(row: Experiment) -> str:
    """The ref DVC keeps an experiment under: `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`."""
    assert row.baseline is not None and row.name is not None
    return f"{EXPS_PREFIX}{row.baseline[:2]}/{row.baseline[2:]}/{row.name}"


def remote_rows(
    refs: Mapping[str, str], created: Callable[[str], datetime | None]
) -> list[Experiment]:
    """Rows of a remote's experiments (status `remote`), grouped by baseline, newest first.

    `created` gives a commit's time where this repository has the commit, else None; a remote
    experiment's params and metrics are not known before it is pulled.
    """
    groups: dict[str, list[Experiment]] = {}
    for ref, sha in refs.items():
        parsed = parse_exp_ref(ref)
        assert parsed is not None
        baseline, name = parsed
        groups.setdefault(baseline, []).append(Experiment(
            kind="experiment", name=name, rev=sha, baseline=baseline, status="remote",
            created=created(sha),
        ))  # fmt: skip

    def newest(rows: Iterable[Experiment]) -> float:
        return max((r.created.timestamp() for r in rows if r.created), default=0.0)

    rows: list[Experiment] = []
    for baseline in sorted(groups, key=lambda b: (newest(groups[b]), b), reverse=True):
        group = groups[baseline]
        group.sort(key=lambda r: r.name or "")
        group.sort(key=lambda r: r.created.timestamp() if r.created else 0.0, reverse=True)
        rows.extend(group)
    return rows


def not_here(rows: Iterable[Experiment], local: Mapping[str, str]) -> list[Experiment]:
    """The rows whose experiment this repository lacks: no ref of that baseline and name, or
    one at another commit (the two diverged; the local one is listed as usual)."""
    return [row for row in rows if local.get(exp_ref(row)) != row.rev]


def dvc_remotes(repo: DvcRepo) -> tuple[list[str], str | None]:
    """The DVC remotes configured (every level, as DVC merges them) and the default one."""
    from tui.backend.dvc import run_dvc

    names: list[str] = []
    default = None
    for line in run_dvc(repo, "config", "--list").splitlines():
        key, _, value = line.partition("=")
        if key.startswith("remote.") and key.endswith(".url"):
            names.append(key.removeprefix("remote.").removesuffix(".url"))
        elif key == "core.remote":
            default = value.strip()
    return names, default


def cache_remote(repo: DvcRepo, dvc_remote: str | None, cache: bool) -> str | None:
    """The DVC remote that carries the experiments' cached outputs (None with `cache` off),
    checked before anything moves: DVC would push the git refs first and fail on the cache."""
    if not cache:
        return None
    names, default = dvc_remotes(repo)
    if dvc_remote is not None:
        if dvc_remote not in names:
            have = f"; this repository has {', '.join(names)}" if names else ""
            raise BackendError(
                f"no DVC remote called {dvc_remote!r}{have}: `dvc remote list` names them"
            )
        return dvc_remote
    if default is None:
        raise BackendError(
            "no default DVC remote to carry the experiments' cached outputs: set one "
            "(dvc remote add -d NAME URL), name one with --dvc-remote NAME, or move the git "
            "refs only with --no-cache"
        )
    return default


def transfer_failure(
    remote: GitRemote, verb: str, error: BackendError, moved: list[str]
) -> BackendError:
    """DVC's failure of a push or pull, said for the person. `moved`: the experiments whose
    git refs did reach their side before DVC failed (it moves refs first, then the cache),
    so that the line says what is done and what to do again."""
    text = str(error).split(": ", 1)[-1]  # without "dvc exp push: "
    if moved:
        where = f"are on git remote {remote.label}" if verb == "push" else "are here"
        return BackendError(
            f"{verb}: the git refs of {', '.join(moved)} {where}, their cached outputs are not "
            f"({text}): fix the DVC remote (dvc remote list; DVC reads it from the experiment's "
            f"commit or .dvc/config.local) and {verb} again"
        )
    lowered = text.lower()
    if any(marker in lowered for marker in _AUTH_FAILURES) or "no git repository" in lowered:
        return BackendError(remote_failure(remote, text))
    return error
