"""The table's pure parts: its view state, its layout (with and without the memo), row keys.
No app, no repository: rows are built as the backend builds them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from tui.app.table_state import RowFilter, TableView
from tui.app.widgets.experiments import CellMemo, table_layout
from tui.backend.experiments import Experiment
from tui.display import ColumnIndex, column_files, columns, flat_values

if TYPE_CHECKING:
    from tui.backend.experiments import Kind, Status

WHEN = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


def row(name: str | None, rev: str, *, status: Status = "success", kind: Kind = "experiment",
        lr: Any = 0.1, acc: Any = 0.5, extra: dict[str, Any] | None = None,
        baseline: str = "b" * 40) -> Experiment:  # fmt: skip
    metrics = {"metrics.json": {"acc": acc, **(extra or {})}}
    return Experiment(
        kind=kind,
        name=name,
        rev=rev,
        baseline=baseline,
        status=status,
        created=WHEN,
        params={"params.yaml": {"lr": lr, "epochs": 3}},
        metrics=metrics,
    )


def listing() -> list[Experiment]:
    base = row(None, "b" * 40, kind="baseline")
    return [base, row("alpha", "a" * 40, lr=0.1, acc=0.9), row("beta", "c" * 40, lr=0.2, acc=0.7)]


def test_row_keys_survive_a_rev_change_and_differ_by_kind() -> None:
    queued = row("later", "1" * 40, status="queued")
    finished = row("later", "2" * 40)
    assert queued.key == finished.key == f"{'b' * 40}:later"
    assert row(None, "b" * 40, kind="baseline").key == f"baseline:{'b' * 40}"
    assert row(None, "3" * 40).key == "3" * 40, "an unnamed row is its rev"


def test_selection_keeps_colours_and_targets_follow_the_highlight() -> None:
    view = TableView()
    view.set_rows(listing())
    alpha, beta = view.rows[1], view.rows[2]
    view.toggle_select(alpha.key)
    view.toggle_select(beta.key)
    view.toggle_select(alpha.key)
    assert view.colours == {beta.key: 1}, "beta keeps its colour when alpha leaves"
    view.toggle_select(alpha.key)
    assert view.colours[alpha.key] == 0, "the lowest free colour"
    assert view.targets(beta) == [beta, alpha], "the highlighted row is in the selection"
    view.toggle_select(beta.key)
    assert view.targets(beta) == [beta], "a highlighted row outside the selection is the target"
    assert view.charted(beta) == [alpha]


def test_a_new_listing_forgets_gone_rows_and_shows_a_key_once() -> None:
    view = TableView()
    rows = listing()
    view.set_rows(rows)
    view.toggle_select(rows[2].key)
    view.set_rows(rows[:2])
    assert view.selected == [] and view.colours == {}
    queued = row("alpha", "9" * 40, status="running")
    view.set_rows([rows[0], queued, rows[1]])
    assert [r.status for r in view.rows] == ["success", "success"], "the finished row stays"


def test_filter_sort_and_a_malformed_filter() -> None:
    view = TableView()
    view.set_rows(listing())
    view.row_filter = RowFilter("acc>0.8")
    assert [r.label for r in view.visible()] == [view.rows[0].label, "alpha"]
    view.row_filter = RowFilter("acc>>0.8")
    assert view.row_filter.error() is not None
    assert len(view.visible()) == 3, "a filter with an error hides nothing"
    view.row_filter = RowFilter()
    view.sort_by("acc")
    assert [r.label for r in view.visible()][1:] == ["beta", "alpha"]
    view.sort_by("acc")
    assert view.sort_descending and [r.label for r in view.visible()][1:] == ["alpha", "beta"]


def test_layout_widths_ellipsis_and_the_rows_cut_short() -> None:
    view = TableView()
    rows = listing()
    rows[2] = row("beta", "c" * 40, extra={"note": "x" * 60})
    view.set_rows(rows)
    layout = table_layout(view)
    widths = {c.key: c.width for c in layout.columns}
    assert widths["note"] == 18, "a long value is capped"
    cells = dict(layout.rows)[rows[2].key]
    note = cells[[c.key for c in layout.columns].index("note")]
    assert note.plain.endswith("…") and note.cell_len == 18
    assert layout.truncated == {rows[2].key}
    assert widths["acc"] >= len("acc")
    assert rows[0].key not in layout.truncated


def test_layout_with_the_memo_is_the_layout_without_it() -> None:
    view = TableView()
    memo = CellMemo()
    view.set_rows(listing())
    first = table_layout(view, 0, memo)
    assert first == table_layout(view, 0)
    again = table_layout(view, 0, memo)
    assert all(a is b for (_, a), (_, b) in zip(first.rows, again.rows, strict=True)), (
        "unchanged rows reuse their cells"
    )
    rows = listing()
    rows[1] = row("alpha", "a" * 40, lr=0.1, acc=0.95, extra={"new": 1})
    view.set_rows([view.rows[0], rows[1], view.rows[2]])
    changed = table_layout(view, 0, memo)
    assert changed == table_layout(view, 0), "a new column reaches every row"
    assert "new" in [c.key for c in changed.columns]
    assert "0.95" in dict(changed.rows)[rows[1].key][-3].plain or any(
        "0.95" in c.plain for c in dict(changed.rows)[rows[1].key]
    )
    view.toggle_select(rows[1].key)
    marked = table_layout(view, 0, memo)
    assert marked == table_layout(view, 0), "a selection mark is not a stale memo"
    assert "●" in dict(marked.rows)[rows[1].key][0].plain


def test_running_rows_spin_and_show_their_epoch() -> None:
    view = TableView()
    running = row("live", "workspace", status="running", extra={"step": 1})
    running.params["params.yaml"]["epochs"] = 3
    view.set_rows([running])
    memo = CellMemo()
    status = [c.key for c in table_layout(view).columns].index("status")
    frames = {table_layout(view, frame, memo).rows[0][1][status].plain for frame in range(3)}
    assert len(frames) == 3 and all("epoch 2/3" in text for text in frames)


def test_a_running_row_whose_time_left_changes_is_laid_out_again_in_place() -> None:
    view = TableView()
    running = row("live", "workspace", status="running", extra={"step": 1})
    view.set_rows([running])
    memo = CellMemo()
    now = 1_800_000_000.0
    before = table_layout(view, 0, memo, now)
    status = [c.key for c in before.columns].index("status")
    assert before.rows[0][1][status].plain.endswith("running epoch 2/3")
    # The next listing: the same row with an estimate, drawn at the same spinner frame.
    view.set_rows([running.with_eta(now + 130.0)])
    after = table_layout(view, 0, memo, now)
    assert after.rows[0][1][status].plain.endswith("running epoch 2/3 ~2:10 left")
    assert after == table_layout(view, 0, now=now)
    assert after.columns == before.columns, "room was kept: the table is not laid out anew"
    view.set_rows([running.with_eta(now + 4000.0)])
    later = table_layout(view, 0, memo, now)
    assert later.rows[0][1][status].plain.endswith("running epoch 2/3 ~1:06:40 left")
    assert later.rows[0][0] not in later.truncated


def test_the_time_left_runs_down_with_no_new_listing() -> None:
    view = TableView()
    view.set_rows([row("live", "workspace", status="running", extra={"step": 1})
                   .with_eta(1_800_000_130.0), row("alpha", "a" * 40)])  # fmt: skip
    memo = CellMemo()
    status = [c.key for c in table_layout(view).columns].index("status")

    def shown(now: float) -> tuple[Text, ...]:
        # The same spinner frame each time: only the seconds shown can tell the memo apart.
        layout = table_layout(view, 0, memo, now)
        assert layout == table_layout(view, 0, now=now), "never a stale memo"
        return tuple(cells[status] for _, cells in layout.rows)

    first = shown(1_800_000_000.0)
    assert first[0].plain.endswith("running epoch 2/3 ~2:10 left")
    assert shown(1_800_000_000.3)[0] is first[0], "the same seconds shown: found again"
    assert shown(1_800_000_001.0)[0].plain.endswith("~2:09 left")
    assert shown(1_800_000_129.6)[0].plain.endswith("running epoch 2/3 overdue")
    assert shown(1_800_000_500.0)[0].plain.endswith("running epoch 2/3 overdue")
    assert shown(1e10)[1] is first[1], "a row that does not run is not made again"


def test_columns_follow_a_changed_row_and_name_keys_of_several_files() -> None:
    rows = listing()
    assert columns(rows, only_changed=True) == (["acc"], ["lr"])
    assert columns(rows, only_changed=False) == (["acc"], ["epochs", "lr"])
    other = row("gamma", "d" * 40)
    other.params["other.yaml"] = {"lr": 1}
    assert columns([*rows, other], only_changed=True)[1] == ["params.yaml:lr"]
    assert columns([*rows, other], only_changed=False)[1] == [
        "epochs", "other.yaml:lr", "params.yaml:lr"
    ]  # fmt: skip
    assert flat_values(other)["params.yaml:lr"] == 0.1
    assert "lr" not in flat_values(other), "a key of two files of the row is never bare"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from(["p.yaml", "q.yaml"]),
                                   st.sampled_from(["x", "y", "lr", "status"]),
                                   st.integers(0, 2)), max_size=4),
                min_size=1, max_size=6))  # fmt: skip
def test_a_column_index_kept_up_to_date_is_one_built_afresh(
    changes: list[list[tuple[str, str, str, int]]],
) -> None:
    index = ColumnIndex()
    rows: dict[str, Experiment] = {}
    for change in changes:
        for name, file, key, value in change:
            fresh = row(name, name * 40)
            fresh.params = {file: {key: value}}
            fresh.metrics = {"m.json": {key: value}} if value else {}
            rows[name] = fresh
        if len(rows) > 2 and change and change[0][3] == 0:
            rows.pop(change[0][0])  # a row goes away too
        index.update(rows.values())
        for only_changed in (True, False):
            assert index.columns(only_changed) == columns(list(rows.values()), only_changed)
        assert index.files() == column_files(list(rows.values()))


def test_remote_rows_follow_their_baseline_and_leave_once_pulled() -> None:
    from tui.app.table_state import with_remote

    rows = listing()
    workspace = row(None, "workspace", kind="workspace", status="workspace")
    rows = [workspace, *rows]
    far = row("far", "e" * 40, status="remote")
    elsewhere = row("other", "f" * 40, status="remote", baseline="9" * 40)
    pulled = row("alpha", "a" * 40, status="remote")
    merged = with_remote(rows, [far, elsewhere, pulled])
    assert [r.label for r in merged] == ["workspace", rows[1].label, "alpha", "beta", "far"]
    assert far.key != row("far", "e" * 40).key, "a remote row is never a local row's key"
    assert with_remote(rows, []) is rows
