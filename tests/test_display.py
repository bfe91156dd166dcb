"""Column names and cells: keys in several files are qualified by file, as `dvc exp show`."""

from __future__ import annotations

from typing import Any

from tui.backend.experiments import Experiment
from tui.backend.outs import MISSING
from tui.display import cells, column_files, columns, error_summary, flat_values


def row(
    rev: str,
    params: dict[str, dict[str, Any]],
    metrics: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Experiment:
    return Experiment(
        kind="experiment", name=rev, rev=rev, baseline=None, status="success", created=None,
        params=params, metrics=metrics or {}, errors=errors or {}, error=error,
    )  # fmt: skip


def test_a_key_in_one_file_keeps_its_short_name() -> None:
    rows = [row("a", {"params.yaml": {"lr": 0.1}}), row("b", {"params.yaml": {"lr": 0.2}})]
    assert columns(rows, only_changed=True) == ([], ["lr"])
    assert flat_values(rows[0])["lr"] == 0.1


def test_a_key_in_two_params_files_makes_two_columns() -> None:
    rows = [
        row("a", {"params.yaml": {"lr": 0.1, "seed": 1}, "other.yaml": {"lr": 0.5}}),
        row("b", {"params.yaml": {"lr": 0.2, "seed": 1}, "other.yaml": {"lr": 0.5}}),
    ]
    assert columns(rows, only_changed=False) == (
        [], ["other.yaml:lr", "params.yaml:lr", "seed"]
    )  # fmt: skip
    # Only the changed one stays when unchanged params are hidden.
    assert columns(rows, only_changed=True) == ([], ["params.yaml:lr"])
    values = flat_values(rows[0])
    assert values["params.yaml:lr"] == 0.1 and values["other.yaml:lr"] == 0.5
    assert "lr" not in values


def test_a_param_and_a_metric_of_the_same_key_are_qualified_both() -> None:
    rows = [row("a", {"params.yaml": {"loss": "mse"}}, {"m.json": {"loss": 0.3, "acc": 0.9}})]
    assert columns(rows, only_changed=False) == (["acc", "m.json:loss"], ["params.yaml:loss"])


def test_keys_qualified_across_rows_are_found_in_each_row() -> None:
    # Each row has `lr` in one file only, but not the same file.
    rows = [row("a", {"params.yaml": {"lr": 0.1}}), row("b", {"other.yaml": {"lr": 0.2}})]
    _, param_keys = columns(rows, only_changed=False)
    assert param_keys == ["other.yaml:lr", "params.yaml:lr"]
    files = column_files(rows)
    assert cells(rows[0], param_keys, files) == ["-", "0.1"]
    assert cells(rows[1], param_keys, files) == ["0.2", "-"]


def test_keys_named_like_the_tables_headers_are_qualified() -> None:
    rows = [row("a", {"params.yaml": {"rev": 3, "status": "x", "lr": 1}})]
    assert columns(rows, only_changed=False)[1] == [
        "lr", "params.yaml:rev", "params.yaml:status"
    ]  # fmt: skip


def test_a_bare_value_file_has_no_column() -> None:
    rows = [row("a", {}, {"n.json": {"": 0.75}, "m.json": {"acc": 1}})]
    assert columns(rows, only_changed=False) == (["acc"], [])


def test_values_of_a_file_that_does_not_parse_read_as_marks() -> None:
    good = row("a", {"params.yaml": {"lr": 0.1}}, {"m.json": {"acc": 0.9}})
    broken = row(
        "b", {"params.yaml": {"lr": 0.2}}, {},
        errors={"m.json": "Expecting value", "gone.json": MISSING},
    )  # fmt: skip
    metric_keys, param_keys = columns([good, broken], only_changed=False)
    files = column_files([good, broken])
    assert cells(broken, [*metric_keys, *param_keys], files) == ["!", "0.2"]
    assert error_summary(broken) == "! m.json: Expecting value"
    assert error_summary(good) == ""
    failed = row("c", {}, error="YAMLSyntaxError: unable to read: 'dvc.yaml'")
    assert error_summary(failed) == "! c: YAMLSyntaxError: unable to read: 'dvc.yaml'"
