"""Where a DVC project is: its root, and the folders DVC and we keep state in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.backend.errors import BackendError


@dataclass(frozen=True)
class DvcRepo:
    """A DVC project inside a git repository."""

    root: Path

    @property
    def dvc_dir(self) -> Path:
        """`.dvc`: DVC's own configuration, cache and state."""
        return self.root / ".dvc"

    @property
    def exps_tmp(self) -> Path:
        """`.dvc/tmp/exps`: DVC's queue, run records and temporary run folders."""
        return self.dvc_dir / "tmp" / "exps"

    @property
    def state_dir(self) -> Path:
        """Our run records; `.dvc/tmp` is ignored by git and by DVC."""
        return self.dvc_dir / "tmp" / "catdog-tui"


def find_repo(start: Path | None = None) -> DvcRepo:
    """The DVC project holding `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".dvc").is_dir():
            if not (folder / ".git").exists() and not _inside_git(folder):
                raise BackendError(
                    f"{folder} is a DVC project without git: experiments need git "
                    "(run `git init` and commit)"
                )
            return DvcRepo(folder)
    raise BackendError(
        f"{here} is not inside a DVC repository: cd into one, or try the demo project "
        "with `catdog-tui demo`"
    )


def _inside_git(folder: Path) -> bool:
    return any((parent / ".git").exists() for parent in folder.parents)
