"""`-S` checks against the params file, before anything runs: Hydra's grammar, DVC's rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PARAMS
from tui.backend.errors import BackendError
from tui.backend.overrides import check_overrides, parse_override


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A folder holding a copy of the project's params (never the live file)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(PARAMS, project / "params.yaml")
    return project


def test_this_projects_overrides_parse_with_their_types(root: Path) -> None:
    parsed = check_overrides(
        [
            "train.learning_rate=0.1",
            "train.n_epochs=3",
            "model.backbone=tiny",
            "train.learning_rate=1",
        ],
        root,
        queue=False,
    )
    assert [(o.file, o.key, o.values) for o in parsed] == [
        ("params.yaml", "train.learning_rate", (0.1,)),
        ("params.yaml", "train.n_epochs", (3,)),
        ("params.yaml", "model.backbone", ("tiny",)),
        ("params.yaml", "train.learning_rate", (1,)),
    ]


def test_sweeps_lists_and_functions(root: Path) -> None:
    sweep = parse_override("train.learning_rate=0.001,0.01,0.1", root)
    assert sweep.is_sweep and sweep.values == (0.001, 0.01, 0.1)
    assert parse_override("train.batch_size=range(16,65,16)", root).values == (16, 32, 48, 64)
    assert parse_override("model.backbone=choice(tiny,resnet50)", root).values == (
        "tiny",
        "resnet50",
    )
    assert parse_override("train.learning_rate=1e-3", root).values == (0.001,)


def test_values_are_read_as_hydra_and_dvc_read_them(root: Path) -> None:
    assert parse_override("train.n_epochs=1_0", root).values == (10,)
    # Hydra has no hex ints: DVC writes the string "0x10" into the file.
    assert parse_override("data.url=0x10", root).values == ("0x10",)
    assert parse_override("data.url='a,b'", root).values == ("a,b",)
    assert parse_override('+train.note="it\'s"', root).values == ("it's",)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epochs=3", "params.yaml has no key train.epochs (did you mean train.n_epochs?)"),
        (
            "train.n_epochs=2.5",
            "train.n_epochs is an integer in params.yaml (15), not a number (2.5)",
        ),
        ("train.n_epochs=true", "is an integer in params.yaml (15), not true or false (True)"),
        (
            "model.backbone=7",
            "model.backbone is a string in params.yaml ('resnet50'), not an integer (7)",
        ),
        ("train.learning_rate=fast", "not a string ('fast')"),
        (
            "train.learning_rate=null",
            "train.learning_rate is a number in params.yaml (0.01), not null",
        ),
        ("train.batch_size=range(a)", "not a valid override"),
        ("+train.note=it's", "not a valid override"),
        ("train.n_epochs=glob(*)", "glob() sweeps are not supported"),
        ("nope.yaml:x=1", "nope.yaml does not exist"),
        ("../outside.yaml:a=2", "../outside.yaml is outside the repository"),
        ("/etc/passwd:a=2", "is outside the repository"),
        ("~train.nothing", "params.yaml has no key train.nothing to delete"),
        ("=3", "the key is empty"),
    ],
)
def test_bad_overrides_are_one_line(root: Path, override: str, message: str) -> None:
    before = sorted(p.name for p in root.parent.rglob("*"))
    text = (root / "params.yaml").read_bytes()
    with pytest.raises(BackendError) as error:
        check_overrides([override], root)
    assert str(error.value).startswith(f"-S {override}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert (root / "params.yaml").read_bytes() == text
    assert sorted(p.name for p in root.parent.rglob("*")) == before


def test_what_dvc_itself_would_refuse_is_refused_first(root: Path) -> None:
    # `+` adds a key: Hydra refuses it for a key that exists, when DVC applies it mid-launch.
    with pytest.raises(BackendError, match=r"DVC would refuse it for params\.yaml"):
        check_overrides(["+train.n_epochs=3"], root)


def test_a_sweep_needs_the_queue(root: Path) -> None:
    with pytest.raises(BackendError, match=r"is a sweep .*through the queue"):
        check_overrides(["train.learning_rate=0.1,0.2"], root, queue=False)
    assert len(check_overrides(["train.learning_rate=0.1,0.2"], root, queue=True)) == 1


def test_a_params_file_outside_through_a_link_is_refused(root: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("a: 1\n")
    (root / "inside.yaml").symlink_to(tmp_path / "outside.yaml")
    with pytest.raises(BackendError, match="outside the repository"):
        check_overrides(["inside.yaml:a=2"], root)
    assert (tmp_path / "outside.yaml").read_text() == "a: 1\n"


def test_adding_and_deleting_keys(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("a:\n  b: 1\n")
    assert parse_override("+a.c=2", tmp_path).values == (2,)
    assert parse_override("~a.b", tmp_path).values == ()
    with pytest.raises(BackendError, match="does not parse"):
        (tmp_path / "bad.yaml").write_text("a: [1,\n")
        parse_override("bad.yaml:a=1", tmp_path)
