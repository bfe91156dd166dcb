"""DVCLive readers against files cut mid-write at random byte boundaries (hypothesis)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.backend.live import JsonFile, LiveDir, TsvTail, confusion_matrix, curve

values = st.floats(allow_nan=False, allow_infinity=False, width=32)
rows_strategy = st.lists(values, min_size=1, max_size=12)
cuts_strategy = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)


def tsv_text(points: list[float], *, timestamp: bool = True) -> bytes:
    header = "timestamp\tstep\taccuracy\n" if timestamp else "step\taccuracy\n"
    lines = [
        (f"{1700000000000 + i}\t{i}\t{v!r}\n" if timestamp else f"{i}\t{v!r}\n")
        for i, v in enumerate(points)
    ]
    return (header + "".join(lines)).encode()


def complete_points(written: bytes) -> list[float]:
    """What a correct reader may report for a file of which `written` bytes exist."""
    complete = written[: written.rfind(b"\n") + 1].decode().splitlines()
    return [float(line.split("\t")[-1]) for line in complete[1:]]


@settings(max_examples=60, deadline=None)
@given(points=rows_strategy, cuts=cuts_strategy, timestamp=st.booleans())
def test_tsv_tail_reads_only_complete_lines_whatever_the_cuts(
    tmp_path_factory: pytest.TempPathFactory, points: list[float], cuts: list[int], timestamp: bool
) -> None:
    path = tmp_path_factory.mktemp("tsv") / "accuracy.tsv"
    content = tsv_text(points, timestamp=timestamp)
    tail = TsvTail(path, "train/accuracy")
    written = 0
    with path.open("wb") as handle:
        for cut in sorted({min(c, len(content)) for c in cuts} | {len(content)}):
            handle.write(content[written:cut])
            handle.flush()
            written = cut
            tail.poll()
            assert tail.series.values == complete_points(content[:written])
            assert tail.series.steps == list(range(len(tail.series.values)))
    assert tail.series.values == [float(v) for v in points]


@settings(max_examples=40, deadline=None)
@given(
    first=rows_strategy, second=rows_strategy, cut=st.integers(0, 10_000), same_inode=st.booleans()
)
def test_tsv_tail_starts_over_when_a_new_run_rewrites_the_file(
    tmp_path_factory: pytest.TempPathFactory,
    first: list[float],
    second: list[float],
    cut: int,
    same_inode: bool,
) -> None:
    path = tmp_path_factory.mktemp("tsv") / "loss.tsv"
    path.write_bytes(tsv_text(first))
    tail = TsvTail(path, "train/loss")
    tail.poll()
    assert tail.series.values == [float(v) for v in first]

    new = tsv_text(second)
    partial = new[: min(cut, len(new))]
    if same_inode:
        # Truncate and rewrite in place: the inode stays, the size may even grow past our offset.
        with path.open("r+b") as handle:
            handle.truncate(0)
            handle.write(partial)
    else:
        path.unlink()
        path.write_bytes(partial)
    tail.poll()
    assert tail.series.values == complete_points(partial)
    with path.open("ab") as handle:
        handle.write(new[len(partial) :])
    tail.poll()
    assert tail.series.values == [float(v) for v in second]


def test_tsv_tail_forgets_a_deleted_file_and_skips_malformed_rows(tmp_path: Path) -> None:
    path = tmp_path / "acc.tsv"
    path.write_text("step\tacc\n0\t0.5\n1\tnot-a-number\n2\t0.7\nbroken line\n")
    tail = TsvTail(path, "acc")
    assert tail.poll()
    assert (tail.series.steps, tail.series.values) == ([0, 2], [0.5, 0.7])
    assert not tail.poll(), "nothing new, nothing changed"
    path.unlink()
    assert tail.poll(), "losing the file is a change"
    assert tail.series.values == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | values,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    documents=st.lists(json_values, min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 500), min_size=1, max_size=4),
)
def test_json_file_keeps_the_last_good_value_through_partial_rewrites(
    tmp_path_factory: pytest.TempPathFactory, documents: list[object], cuts: list[int]
) -> None:
    path = tmp_path_factory.mktemp("json") / "metrics.json"
    reader = JsonFile(path)
    good: list[object] = []
    for document, cut in zip(documents, cuts * len(documents), strict=False):
        text = json.dumps(document, indent=4).encode()
        partial = text[: min(cut, len(text))]
        path.write_bytes(partial)  # truncate and write part, as json.dump to an open file does
        reader.poll()
        try:
            good.append(json.loads(partial))
        except ValueError:
            assert reader.stale or reader.value in good or reader.value is None
        if good:
            assert reader.value == good[-1] or reader.value in good
        path.write_bytes(text)
        # mtime granularity can hide a rewrite of the same size: poll sees the size or content.
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        reader.poll()
        good.append(document)
        assert reader.value == document
        assert not reader.stale


def test_confusion_matrix_counts_shares_precision_and_recall() -> None:
    rows = (
        [{"actual": "cat", "predicted": "cat"}] * 40
        + [{"actual": "cat", "predicted": "dog"}] * 10
        + [{"actual": "dog", "predicted": "dog"}] * 45
        + [{"actual": "dog", "predicted": "cat"}] * 5
    )
    matrix = confusion_matrix(rows)
    assert matrix is not None
    assert matrix.classes == ("cat", "dog")
    assert matrix.count("cat", "dog") == 10
    assert matrix.total == 100
    assert matrix.accuracy == pytest.approx(0.85)
    assert matrix.recall("cat") == pytest.approx(0.8)
    assert matrix.precision("cat") == pytest.approx(40 / 45)
    numeric = confusion_matrix(
        {"cm": [{"actual": 10, "predicted": 2}, {"actual": 2, "predicted": 2}]}
    )
    assert numeric is not None and numeric.classes == ("2", "10")
    assert confusion_matrix([{"actual": "cat"}]) is None
    assert confusion_matrix({"a": 1, "b": 2}) is None


def test_curve_reads_sklearn_plots() -> None:
    roc = {
        "roc": [
            {"fpr": 0.0, "tpr": 0.0, "threshold": 1.0},
            {"fpr": 1.0, "tpr": 1.0, "threshold": 0.0},
        ]
    }
    assert curve(roc, "fpr", "tpr") == ([0.0, 1.0], [0.0, 1.0])
    assert curve({"roc": [{"fpr": "x"}]}, "fpr", "tpr") is None


def test_live_dir_polls_everything_dvclive_writes(tmp_path: Path) -> None:
    live = tmp_path / "dvclive"
    (live / "plots" / "metrics" / "eval").mkdir(parents=True)
    (live / "plots" / "sklearn").mkdir(parents=True)
    (live / "plots" / "images" / "misclassified").mkdir(parents=True)
    (live / "plots" / "metrics" / "eval" / "accuracy.tsv").write_text("step\taccuracy\n0\t0.5\n")
    (live / "metrics.json").write_text('{"eval": {"accuracy": 0.5}, "step": 0}')
    (live / "plots" / "sklearn" / "confusion_matrix.json").write_text(
        '[{"actual": "cat", "predicted": "dog"}]'
    )
    (live / "plots" / "images" / "misclassified" / "1_cat_as_dog.png").write_bytes(b"\x89PNG")
    reader = LiveDir(live)
    assert reader.poll() == {"eval/accuracy", "metrics.json", "sklearn/confusion_matrix"}
    assert reader.poll() == set()
    with (live / "plots" / "metrics" / "eval" / "accuracy.tsv").open("a") as handle:
        handle.write("1\t0.75\n")
    assert reader.poll() == {"eval/accuracy"}
    assert reader.series()["eval/accuracy"].values == [0.5, 0.75]
    matrix = reader.confusion()
    assert matrix is not None and matrix.count("cat", "dog") == 1
    assert [p.name for p in reader.images()] == ["1_cat_as_dog.png"]
