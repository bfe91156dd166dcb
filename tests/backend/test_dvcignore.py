"""`.dvcignore` matching equals DVC's own (dvc.ignore.DvcIgnoreFilter), path for path."""

from __future__ import annotations

from pathlib import Path

import pytest
from dvc.fs import localfs
from dvc.ignore import DvcIgnoreFilter

from tui.backend.dvcignore import IgnoreRules, commit_rules, pattern_lines
from tui.backend.sources import WorkspaceSource

TREE = {
    ".dvcignore": "# comment\n\n*.tmp\nbuild/\n/top.txt\ndata/**/raw\n!keep.tmp\nlogs\n"
    "extra*/\n!extra_keep/\n  spaced.txt  \n\\#hash.txt\n",
    "a.tmp": "",
    "keep.tmp": "",
    "top.txt": "",
    "sub/top.txt": "",
    "sub/x.tmp": "",
    "sub/keep.tmp": "",
    "build/dvc.yaml": "",
    "sub/build/dvc.yaml": "",
    "data/one/raw/dvc.yaml": "",
    "data/raw/dvc.yaml": "",
    "logs": "",
    "sub/logs/dvc.yaml": "",
    "extra_one/dvc.yaml": "",
    "extra_keep/dvc.yaml": "",
    "spaced.txt": "",
    "#hash.txt": "",
    "nested/.dvcignore": "inner/\n!*.tmp\n/only_here.txt\n",
    "nested/inner/dvc.yaml": "",
    "nested/deep/inner/dvc.yaml": "",
    "nested/a.tmp": "",
    "nested/only_here.txt": "",
    "nested/deep/only_here.txt": "",
    "nested/dvc.yaml": "",
    "build2/.dvcignore": "*\n",
    "build2/dvc.yaml": "",
    "dvc.yaml": "",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, text in TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def paths_of(root: Path) -> list[tuple[str, bool]]:
    return [(p.relative_to(root).as_posix(), p.is_dir()) for p in sorted(root.rglob("*"))]


def test_patterns_match_as_dvc_matches_them(tree: Path) -> None:
    dvc = DvcIgnoreFilter(localfs, str(tree))
    files = [path for path, is_dir in paths_of(tree) if not is_dir]
    ours = commit_rules(files, lambda path: (tree / path).read_bytes())
    for path, is_dir in paths_of(tree):
        full = str(tree / path)
        theirs = dvc.is_ignored_dir(full) if is_dir else dvc.is_ignored_file(full)
        assert ours.ignored(path, is_dir) == theirs, path


def test_the_workspace_walk_finds_the_dvc_yaml_files_dvc_finds(tree: Path) -> None:
    dvc = DvcIgnoreFilter(localfs, str(tree))
    theirs = sorted(
        Path(folder, "dvc.yaml").relative_to(tree).as_posix()
        for folder, _, names in dvc.walk(localfs, str(tree))
        if "dvc.yaml" in names
    )
    assert WorkspaceSource(tree, tree / ".dvc").dvcfiles() == theirs
    assert theirs == ["dvc.yaml", "extra_keep/dvc.yaml", "nested/dvc.yaml"]


def test_comment_only_dvcignore_compiles_nothing() -> None:
    rules = IgnoreRules()
    rules.add("", b"# Add patterns of files dvc should ignore\n\n")
    assert rules._rules is None
    assert rules.ignored(".git/dvc.yaml") and not rules.ignored("src/dvc.yaml")
    assert pattern_lines(b"a\r\n  b  \r# c\n") == ["a", "b"]
