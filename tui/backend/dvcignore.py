"""Which dvc.yaml files DVC reads: `.dvcignore` rules and subrepositories (dvc/ignore.py).

DVC matches every line of a `.dvcignore` as a gitignore pattern (pathspec), relative to the
folder that holds it. The patterns of a deeper `.dvcignore` come after those of its parents and
the last pattern that matches decides; a path is ignored when it, or any folder above it, is.
A folder that holds a `.dvc` entry is another DVC project (a subrepo) and is skipped whole.

`dvc init` writes a `.dvcignore` of comments only: patterns are compiled (and pathspec
imported) only when some `.dvcignore` has a pattern, so most listings never pay for it.
pathspec is DVC's own dependency, used here as DVC uses it, so both match alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

IGNORE_FILE = ".dvcignore"
DVC_DIR = ".dvc"
# DVC's own patterns at the root (DvcIgnoreFilter.__init__).
_DEFAULT_PATTERNS = (".hg/", ".git/", ".git", ".dvc/")
_DEFAULT_DIRS = frozenset({".hg", ".git", ".dvc"})


def pattern_lines(data: bytes) -> list[str]:
    """The patterns of a `.dvcignore`: lines stripped, blanks and comments dropped, as DVC."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return [line for line in (raw.strip() for raw in text.split("\n")) if line and line[0] != "#"]


@dataclass(frozen=True)
class _Rule:
    folder: str
    regex: re.Pattern[str]
    ignore: bool
    dir_only: bool


def _compile(folder: str, patterns: list[str]) -> list[_Rule]:
    # DVC's import, with its fallback for pathspec < 1.
    try:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern
    except ImportError:  # pragma: no cover - pathspec < 1
        from pathspec.patterns import (  # type: ignore[attr-defined]
            GitWildMatchPattern as GitIgnoreSpecPattern,
        )

    rules = []
    for pattern in patterns:
        regex, ignore = GitIgnoreSpecPattern.pattern_to_regex(pattern)
        if regex is not None and ignore is not None:
            rules.append(_Rule(folder, re.compile(regex), bool(ignore), pattern.endswith("/")))
    return rules


class IgnoreRules:
    """The `.dvcignore` patterns of one revision, added from the root down."""

    def __init__(self) -> None:
        self._rules: list[_Rule] | None = None  # None: no pattern but DVC's defaults
        self._subrepos: set[str] = set()

    def add(self, folder: str, data: bytes) -> None:
        """Take the `.dvcignore` of `folder` ("" for the root), unless it is ignored itself."""
        patterns = pattern_lines(data)
        if not patterns or self.ignored(_join(folder, IGNORE_FILE)):
            return
        if self._rules is None:
            self._rules = _compile("", list(_DEFAULT_PATTERNS))
        self._rules.extend(_compile(folder, patterns))

    def add_subrepo(self, folder: str) -> None:
        """A folder holding its own `.dvc`: DVC leaves it to that project."""
        if folder:
            self._subrepos.add(folder)

    def ignored(self, path: str, is_dir: bool = False) -> bool:
        """Whether DVC skips `path` (repo-relative, posix) when it collects dvc.yaml files."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            prefix_is_dir = is_dir or depth < len(parts)
            if prefix_is_dir and prefix in self._subrepos:
                return True
            if self._matches(prefix, prefix_is_dir):
                return True
        return False

    def _matches(self, path: str, is_dir: bool) -> bool:
        if self._rules is None:
            name = path.rsplit("/", 1)[-1]
            return name in _DEFAULT_DIRS and (is_dir or name == ".git")
        for rule in reversed(self._rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.folder:
                if not path.startswith(rule.folder + "/"):
                    continue
                relative = path[len(rule.folder) + 1 :]
            else:
                relative = path
            candidates = (relative, relative + "/") if is_dir else (relative,)
            if any(rule.regex.match(candidate) for candidate in candidates):
                return rule.ignore
        return False


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def commit_rules(files: Iterable[str], read: Callable[[str], bytes | None]) -> IgnoreRules:
    """The rules of a commit, from its file list and a reader of its blobs."""
    rules = IgnoreRules()
    ignore_folders = []
    for path in files:
        folder, _, name = path.rpartition("/")
        if name == IGNORE_FILE:
            ignore_folders.append(folder)
        parts = path.split("/")
        if DVC_DIR in parts[1:]:
            rules.add_subrepo("/".join(parts[: parts.index(DVC_DIR, 1)]))
    # Parents before children: a deeper .dvcignore's patterns come later, and may be ignored.
    for folder in sorted(ignore_folders, key=lambda f: (f.count("/") + bool(f), f)):
        data = read(_join(folder, IGNORE_FILE))
        if data is not None:
            rules.add(folder, data)
    return rules
