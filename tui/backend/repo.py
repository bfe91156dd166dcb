"""Where a DVC project is: its root, and the folders DVC and we keep state in."""

from __future__ import annotations

from pathlib import Path

from tui.backend.errors import BackendError

TYPE_CHECKING = False  # not typing's: importing typing costs 3 ms of `ls` (see record.py)
if TYPE_CHECKING:
    from typing import Final


class DvcRepo:
    """A DVC project inside a git repository; equal (and hashed) by its root.

    Not a dataclass: see record.py.
    """

    __slots__ = ("root",)

    def __init__(self, root: Path) -> None:
        self.root: Final = root

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DvcRepo) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def __repr__(self) -> str:
        return f"DvcRepo(root={self.root!r})"

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
