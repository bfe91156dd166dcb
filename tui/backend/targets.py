"""What a name typed by a person stands for, resolved the way DVC does, only stricter.

DVC takes an experiment name, or anything git can resolve as a revision, and prefers what it
finds under the current commit. A slip then lands on something real: `remove 6` would match any
rev starting with 6, `apply 2` a baseline commit. Here a name is an exact experiment name, or
a rev prefix of at least four hex digits (git's own minimum) that matches exactly one row;
anything else is refused with the candidates listed, so that nothing is destroyed by accident.

A new experiment name is checked too, before a run is launched rather than after it trained:
git's ref-name rules (DVC stores experiments as refs), a length a file system takes, and no
clash with an experiment, branch or tag that the name would shadow or be shadowed by.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment

MIN_PREFIX = 4
MAX_NAME = 100
"""Longer names fail when DVC saves the experiment, after the whole run (a ref is a file)."""
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_SHOWN = 6


def _describe(row: Experiment) -> str:
    if row.kind == "baseline":
        return f"baseline {row.rev[:7]}" + (f" ({row.name})" if row.name else "")
    where = f" of {row.baseline[:7]}" if row.baseline else ""
    return f"{row.name or row.rev[:7]} ({row.rev[:7]}{where}, {row.status})"


def _listing(rows: Sequence[Experiment]) -> str:
    shown = ", ".join(_describe(row) for row in rows[:_SHOWN])
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    return shown + more


def resolve_experiment(
    name: str, rows: Iterable[Experiment], listed_by: str = "catdog-tui ls -A"
) -> Experiment:
    """The one experiment (not a baseline, not the workspace) that `name` means.

    `rows` are listing rows of every baseline with experiments; baselines among them are
    matched only to be refused by name. `listed_by`: the command that lists `rows`, to say
    in a refusal.
    """
    rows = [row for row in rows if row.kind != "workspace"]
    experiments = [row for row in rows if row.kind == "experiment"]
    by_name = [row for row in experiments if row.name == name]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise BackendError(
            f"{name!r} names {len(by_name)} experiments ({_listing(by_name)}): "
            "give a rev prefix of the one you mean"
        )
    if not _HEX.match(name):
        # One name per suggestion: the same name under several commits is one candidate.
        known = list(dict.fromkeys(r.name for r in experiments if r.name))
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise BackendError(f"no experiment called {name!r}{hint}: `{listed_by}` lists them")
    prefix = name.lower()
    matches = [row for row in rows if row.rev.startswith(prefix)]
    if len(prefix) < MIN_PREFIX:
        listed = f": it matches {_listing(matches)}" if matches else ""
        raise BackendError(
            f"{name!r} is too short for a rev: give at least {MIN_PREFIX} hex digits{listed}"
        )
    if len(matches) > 1:
        raise BackendError(
            f"{name!r} matches {len(matches)} revs ({_listing(matches)}): give more of the rev"
        )
    if not matches:
        raise BackendError(f"no experiment has a rev starting with {name!r}: `{listed_by}`")
    if matches[0].kind == "baseline":
        raise BackendError(
            f"{name!r} is {_describe(matches[0])}, a commit and not an experiment: "
            "experiments are the rows under a baseline in `catdog-tui ls`"
        )
    return matches[0]


def check_new_name(
    name: str, taken: Iterable[str], branches: Iterable[str], tags: Iterable[str]
) -> None:
    """Refuse a name for a new experiment that DVC or git would reject or that would clash."""
    import pygit2

    if not name or len(name) > MAX_NAME:
        raise BackendError(
            f"--name: {len(name)} characters; give a name of 1 to {MAX_NAME} characters"
        )
    # DVC's own check (`check_ref_format`): a valid git ref under refs/exps, and no "/".
    ref = f"refs/exps/00/{'0' * 38}/{name}"
    if "/" in name or not pygit2.reference_is_valid_name(ref):
        raise BackendError(
            f"--name {name!r}: not a valid git ref name (no spaces, '/', '..', '~', '^', ':', "
            "'?', '*', '[', '\\', no leading '-' or '.', no trailing '.lock' or '.'): "
            "use letters, digits, '.', '_' or '-'"
        )
    if name == "workspace":
        raise BackendError("--name workspace: the name is reserved for the working tree")
    if _HEX.match(name) and len(name) >= MIN_PREFIX:
        raise BackendError(f"--name {name!r}: looks like a commit id; add a letter past f")
    for existing, what in ((taken, "an experiment"), (branches, "a branch"), (tags, "a tag")):
        if name in set(existing):
            raise BackendError(
                f"--name {name!r}: {what} is already called so; choose another name"
                + (" or remove the old one (catdog-tui remove)" if what == "an experiment" else "")
            )
