"""Plots of real DVCLive runs in real git + DVC repositories, with `dvc plots show` as oracle.

Files are written by DVCLive itself (in a subprocess, as a training script would), plot
definitions come from dvc.yaml as DVC reads them, and `dvc plots show --json` / `dvc plots
diff --json` say which plots DVC sees.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend.experiments import Experiment
from tui.backend.gitstore import GitStore
from tui.backend.history import LiveReader
from tui.backend.live import ConfusionMatrix
from tui.backend.outs import CachedReader, WithOutputs

GET_STARTED = """\
metrics:
  - eval/metrics.json
plots:
  - ROC:
      template: simple
      x: fpr
      y:
        eval/plots/sklearn/roc/train.json: tpr
        eval/plots/sklearn/roc/test.json: tpr
  - Confusion-Matrix:
      template: confusion
      x: actual
      y:
        eval/plots/sklearn/cm/train.json: predicted
        eval/plots/sklearn/cm/test.json: predicted
  - eval/plots/custom/labels.json:
      template: confusion
      x: truth
      y: guess
  - eval/plots/metrics:
      x: step
  - eval/plots/images
"""

# DVC's get-started `evaluate.py`, reduced: DVCLive with dvcyaml=False, plots named per split.
EVALUATE = """\
from dvclive import Live
from PIL import Image

with Live("eval", dvcyaml=False, save_dvc_exp=False) as live:
    for step in range(3):
        live.log_metric("train/loss", 1.0 / (step + 1))
        live.log_metric("eval/loss", 1.5 / (step + 1))
        live.next_step()
    truth = {"train": [0, 1, 1, 0, 1, 1], "test": [0, 1, 1, 0]}
    guess = {"train": [0, 1, 0, 0, 1, 1], "test": [1, 1, 0, 0]}
    for split in ("train", "test"):
        live.log_sklearn_plot("confusion_matrix", truth[split], guess[split],
                              name=f"cm/{split}.json")
        scores = [0.9 if g else 0.2 for g in guess[split]]
        live.log_sklearn_plot("roc", truth[split], scores, name=f"roc/{split}.json")
    live.log_plot("labels", [{"truth": "cat", "guess": "dog"}, {"truth": "cat", "guess": "cat"}],
                  x="truth", y="guess", template="confusion")
    live.log_image("importance.png", Image.new("RGB", (4, 4)))
"""


def dvc_plot_ids(root: Path, *revs: str) -> set[str]:
    """The plot ids DVC shows (the workspace, or `revs` through `dvc plots diff`)."""
    command = ["plots", "diff", *revs] if revs else ["plots", "show"]
    shown = json.loads(run(["dvc", *command, "--json"], root).stdout)
    return set(shown.get("data", {}))


def matrix_counts(matrix: ConfusionMatrix | None) -> dict[tuple[str, str], int]:
    assert matrix is not None
    return matrix.counts


def workspace_row() -> Experiment:
    return Experiment("workspace", None, "workspace", None, "workspace", None)


def commit_all(root: Path, message: str) -> str:
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "-m", message], root)
    return run(["git", "rev-parse", "HEAD"], root).stdout.strip()


def test_get_started_layout_confusion_under_another_name_with_its_declared_fields(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "get-started", {"dvc.yaml": GET_STARTED, "evaluate.py": EVALUATE})
    run(["python", "evaluate.py"], root)
    rev = commit_all(root, "evaluate")
    reader = LiveReader(GitStore(root))
    data = reader.read_commit(rev)

    assert {s.id for s in data.plots if s.declared} == dvc_plot_ids(root)
    kinds = {s.id: s.kind for s in data.plots}
    assert kinds["Confusion-Matrix"] == kinds["eval/plots/custom/labels.json"] == "confusion"
    assert kinds["ROC"] == "curve"
    assert kinds["eval/plots/metrics/train/loss.tsv"] == "line"
    assert kinds["eval/plots/images/importance.png"] == "image"
    assert data.folders == ["eval"]

    assert set(data.confusions) == {"cm/train", "cm/test", "labels"}
    assert matrix_counts(data.confusions["cm/test"]) == {
        ("0", "1"): 1, ("1", "1"): 1, ("1", "0"): 1, ("0", "0"): 1,
    }  # fmt: skip
    assert matrix_counts(data.confusions["labels"]) == {("cat", "dog"): 1, ("cat", "cat"): 1}
    assert data.confusion is data.confusions["cm/test"], "the test split is the one shown"
    assert data.titles["cm/test"] == "Confusion-Matrix"
    assert set(data.curves) == {"roc/train", "roc/test"}
    assert (data.curves["roc/test"].x, data.curves["roc/test"].y) == ("fpr", "tpr")
    assert data.series["train/loss"].values == [1.0, 0.5, pytest.approx(1 / 3)]
    assert [g.title for g in data.charts] == ["loss"]
    assert [c.series for c in data.charts[0].charts] == ["eval/loss", "train/loss"]
    assert data.images == ["eval/plots/images/importance.png"]

    # The working tree reads the same, from disk.
    live = reader.read(workspace_row(), root)
    assert live.series.keys() == data.series.keys()
    assert live.confusions == data.confusions


TWO_FOLDERS = """\
from dvclive import Live

with Live("train_live", save_dvc_exp=False) as live:
    for step in range(4):
        live.log_metric("loss", 1.0 / (step + 1))
        live.log_metric("val_loss", 1.2 / (step + 1))
        live.next_step()
with Live("eval_live", save_dvc_exp=False) as live:
    live.log_metric("loss", 0.7)
    live.log_metric("accuracy", 0.75)
    live.next_step()
    live.log_sklearn_plot("confusion_matrix", [0, 1, 1, 1], [0, 1, 1, 0])
"""


def test_every_dvclive_folder_is_read_and_named_by_its_folder(tmp_path: Path) -> None:
    # DVCLive writes dvc.yaml itself (its default): both folders' plots land in it.
    root = make_repo(tmp_path / "two", {"log.py": TWO_FOLDERS})
    run(["python", "log.py"], root)
    reader = LiveReader(GitStore(root))
    live = reader.read(workspace_row(), root)
    assert live.folders == ["train_live", "eval_live"]
    assert reader.watch_paths(root) == [root / "train_live", root / "eval_live"]
    assert set(live.series) == {
        "train_live:loss", "train_live:val_loss", "eval_live:loss", "eval_live:accuracy",
    }  # fmt: skip
    assert live.series["train_live:val_loss"].values[0] == pytest.approx(1.2)
    assert set(live.confusions) == {"eval_live:confusion_matrix"}
    assert [(g.title, [c.series for c in g.charts]) for g in live.charts] == [
        ("eval_live: accuracy", ["eval_live:accuracy"]),
        ("eval_live: loss", ["eval_live:loss"]),
        ("train_live: loss", ["train_live:val_loss", "train_live:loss"]),
    ]
    assert {s.id for s in live.plots if s.declared} == dvc_plot_ids(root)

    rev = commit_all(root, "two folders")
    committed = reader.read_commit(rev)
    assert committed.series.keys() == live.series.keys()
    assert committed.confusions == live.confusions


KERAS_LIKE = """\
from dvclive import Live

names = ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "precision", "recall", "auc"]
with Live(dvcyaml=False, save_dvc_exp=False) as live:
    for step in range(3):
        for index, name in enumerate(names):
            live.log_metric(name, index + step / 10)
        live.next_step()
    live.log_sklearn_plot("confusion_matrix", ["cat", "dog"], ["cat", "cat"], name="cm/val.json")
"""


def test_nothing_declared_reads_dvclives_defaults_with_keras_names(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "keras", {"train.py": KERAS_LIKE})
    run(["python", "train.py"], root)
    metrics = root / "dvclive" / "plots" / "metrics"
    (metrics / "pending.tsv").write_text("timestamp\tstep\tpending\n")
    (metrics / "no_value.tsv").write_text("step\n0\n1\n")
    (metrics / "only_time.tsv").write_text("timestamp\tstep\n1\t0\n")
    reader = LiveReader(GitStore(root))
    for data in (reader.read(workspace_row(), root), reader.read_commit(commit_all(root, "run"))):
        assert not any(s.declared for s in data.plots)
        assert data.folders == ["dvclive"]
        assert set(data.series) == {
            "loss", "accuracy", "val_loss", "val_accuracy", "lr", "precision", "recall", "auc",
        }  # fmt: skip
        assert data.empty == {"pending"}
        assert [(g.metric, [(c.series, c.empty) for c in g.charts]) for g in data.charts] == [
            ("accuracy", [("val_accuracy", False), ("accuracy", False)]),
            ("auc", [("auc", False)]),
            ("loss", [("val_loss", False), ("loss", False)]),
            ("lr", [("lr", False)]),
            ("pending", [("pending", True)]),
            ("precision", [("precision", False)]),
            ("recall", [("recall", False)]),
        ]
        assert matrix_counts(data.confusion) == {("cat", "cat"): 1, ("dog", "cat"): 1}
        assert data.series["val_loss"].steps == [0, 1, 2]


def test_what_a_read_returned_is_never_changed_by_the_next(tmp_path: Path) -> None:
    live = tmp_path / "dvclive" / "plots" / "metrics"
    live.mkdir(parents=True)
    tsv = live / "loss.tsv"
    tsv.write_text("step\tloss\n0\t1.0\n")
    run(["git", "init", "-q"], tmp_path)
    reader = LiveReader(GitStore(tmp_path))
    first = reader.read_tree(tmp_path)
    steps, values = first.series["loss"].steps, first.series["loss"].values
    with tsv.open("a") as handle:
        handle.write("1\t0.5\n")
    second = reader.read_tree(tmp_path)
    assert (steps, values) == ([0], [1.0])
    assert (second.series["loss"].steps, second.series["loss"].values) == ([0, 1], [1.0, 0.5])


CACHED_STAGE = {
    "train.py": """\
from dvclive import Live

with Live("results", dvcyaml=False) as live:
    for step in range(4):
        live.log_metric("train/loss", 1.0 / (step + 1))
        live.log_metric("eval/loss", 1.5 / (step + 1))
        live.next_step()
    live.log_sklearn_plot("confusion_matrix", [0, 1, 1, 0], [0, 1, 0, 0], name="cm/test.json")
""",
    "dvc.yaml": """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    outs: [results]
plots:
  - results/plots/sklearn/cm/test.json:
      template: confusion
      x: actual
      y: predicted
""",
}


def test_a_finished_experiments_cached_dvclive_folder_is_read_from_dvcs_cache(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path / "cached", CACHED_STAGE)
    run(["dvc", "exp", "run", "-n", "cached"], root)
    exp_rev = run(["git", "rev-parse", _exp_ref(root, "cached")], root).stdout.strip()
    git = GitStore(root)
    assert not [p for p in git.files(exp_rev) if p.startswith("results/")], "not in git"
    run(["rm", "-rf", "results"], root)  # nor on disk: only DVC's cache has them

    data = LiveReader(git).read_commit(exp_rev)
    assert data.folders == ["results"]
    assert data.series["train/loss"].values == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    assert [c.series for c in data.charts[0].charts] == ["eval/loss", "train/loss"]
    assert matrix_counts(data.confusion) == {("0", "0"): 2, ("1", "1"): 1, ("1", "0"): 1}
    assert set(data.confusions) == {"cm/test"}
    declared = {s.id for s in data.plots if s.declared}
    assert declared == dvc_plot_ids(root, exp_rev) == {"results/plots/sklearn/cm/test.json"}


def _exp_ref(root: Path, name: str) -> str:
    refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps/"], root).stdout
    (ref,) = [r for r in refs.split() if r.endswith("/" + name)]
    return ref


class FakeSource:
    """A Source of a few files and cache objects, to feed a lock file anything."""

    def __init__(self, files: dict[str, bytes], cache: dict[str, bytes]) -> None:
        self.files, self.cache = files, cache
        self.asked: list[str] = []

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def files_under(self, folder: str) -> list[str]:
        return [p for p in self.files if p.startswith(folder + "/")]

    def dvcfiles(self) -> list[str]:
        return [p for p in self.files if p.endswith("dvc.yaml")]

    def cached(self, md5: str) -> bytes | None:
        self.asked.append(md5)
        return self.cache.get(md5)


def test_cached_outputs_only_ever_ask_the_cache_for_hashes() -> None:
    good = "0" * 32
    manifest = json.dumps([
        {"relpath": "plots/metrics/loss.tsv", "md5": good},
        {"relpath": "../../escape.tsv", "md5": good},
        {"relpath": "evil.tsv", "md5": "../../../../etc/passwd"},
    ])  # fmt: skip
    lock = textwrap.dedent(f"""\
        schema: '2.0'
        stages:
          train:
            outs:
            - path: live
              md5: {"a" * 32}.dir
            - path: stolen
              md5: ../../../../etc/passwd
            - path: ../outside
              md5: {good}
        """)
    source = FakeSource(
        {"dvc.yaml": b"stages: {train: {cmd: x}}", "dvc.lock": lock.encode()},
        {"a" * 32 + ".dir": manifest.encode(), good: b"step\tloss\n0\t1\n"},
    )
    files = WithOutputs(source)
    assert files.files_under("live") == ["live/plots/metrics/loss.tsv"]
    assert files.read("live/plots/metrics/loss.tsv") == b"step\tloss\n0\t1\n"
    assert files.read("stolen") is None and files.read("evil.tsv") is None
    assert files.read("../outside") is None
    assert files.cached("../x") is None
    assert set(source.asked) <= {good, "a" * 32 + ".dir"}
    assert CachedReader.locked(source).md5_of("live/evil.tsv") is None


def test_a_half_written_dvc_yaml_keeps_its_last_good_plots(tmp_path: Path) -> None:
    # DVCLive rewrites dvc.yaml in place at every step: a reader may catch it half-written.
    metrics = tmp_path / "logs" / "plots" / "metrics"
    metrics.mkdir(parents=True)
    (metrics / "loss.tsv").write_text("step\tloss\n0\t1.0\n")
    dvcyaml = tmp_path / "dvc.yaml"
    text = "metrics:\n- logs/metrics.json\nplots:\n- logs/plots/metrics:\n    x: step\n"
    dvcyaml.write_text(text)
    run(["git", "init", "-q"], tmp_path)
    reader = LiveReader(GitStore(tmp_path))
    assert set(reader.read_tree(tmp_path).series) == {"loss"}
    # Cut where it does not parse (a cut that parses is a valid dvc.yaml: no reader can tell).
    for partial in ("", text.replace("x: step", "x: [st"), "plots: [\n"):
        dvcyaml.write_text(partial)
        assert set(reader.read_tree(tmp_path).series) == {"loss"}, repr(partial)
    dvcyaml.write_text("plots: []\n")
    assert reader.read_tree(tmp_path).folders == [], "a file that parses is the new truth"
