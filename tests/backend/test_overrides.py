"""`-S` checks against the params file, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tui.backend.errors import BackendError
from tui.backend.overrides import check_overrides, parse_override


def test_this_projects_overrides_parse_with_their_types() -> None:
    parsed = check_overrides(
        [
            "train.learning_rate=0.1",
            "train.n_epochs=3",
            "model.backbone=tiny",
            "train.learning_rate=1",
        ],
        ROOT,
    )
    assert [(o.file, o.key, o.values) for o in parsed] == [
        ("params.yaml", "train.learning_rate", (0.1,)),
        ("params.yaml", "train.n_epochs", (3,)),
        ("params.yaml", "model.backbone", ("tiny",)),
        ("params.yaml", "train.learning_rate", (1,)),
    ]


def test_sweeps_lists_and_functions() -> None:
    sweep = parse_override("train.learning_rate=0.001,0.01,0.1", ROOT)
    assert sweep.is_sweep and sweep.values == (0.001, 0.01, 0.1)
    assert parse_override("train.batch_size=range(16,65,16)", ROOT).values == (16, 32, 48, 64)
    assert parse_override("model.backbone=choice(tiny,resnet50)", ROOT).values == (
        "tiny",
        "resnet50",
    )
    assert parse_override("train.learning_rate=1e-3", ROOT).values == (0.001,)


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
        ("train.batch_size=range(a)", "range() takes 1 to 3 integers"),
        ("nope.yaml:x=1", "nope.yaml does not exist"),
        ("=3", "the key is empty"),
    ],
)
def test_bad_overrides_are_one_line(override: str, message: str) -> None:
    with pytest.raises(BackendError) as error:
        parse_override(override, ROOT)
    assert str(error.value).startswith(f"-S {override}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_adding_and_deleting_keys(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("a:\n  b: 1\n")
    assert parse_override("+a.c=2", tmp_path).values == (2,)
    assert parse_override("~a.b", tmp_path).values == ()
    with pytest.raises(BackendError, match="does not parse"):
        (tmp_path / "bad.yaml").write_text("a: [1,\n")
        parse_override("bad.yaml:a=1", tmp_path)
