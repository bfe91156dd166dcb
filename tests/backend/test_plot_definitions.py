"""DVC's rules for plot definitions, on documents of every shape, garbage included."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend.formats import parse_yaml
from tui.backend.plotdata import LiveData, assemble
from tui.backend.plots import PlotFile, collect_plots, declared_plots, live_folder_of, plots_of
from tui.backend.sources import WorkspaceSource
from tui.backend.steptable import StepTable

FILES = [
    "dvclive/plots/metrics/train/loss.tsv",
    "dvclive/plots/metrics/eval/loss.tsv",
    "dvclive/plots/sklearn/confusion_matrix.json",
    "dvclive/plots/images/first.png",
    "sub/out/a.csv",
    "sub/out/deeper/b.csv",
]


def files_under(folder: str) -> list[str]:
    return [f for f in FILES if f.startswith(folder.rstrip("/") + "/")]


ROOT_DVCYAML = """\
plots:
  - dvclive/plots/metrics:
      x: step
  - dvclive/plots/metrics/eval:
      y: loss
      title: Eval
  - Both:
      x: {dvclive/plots/metrics/train/loss.tsv: step}
      y:
        dvclive/plots/metrics/train/loss.tsv: loss
        dvclive/plots/metrics/eval/loss.tsv: [loss]
  - dvclive/plots/sklearn/confusion_matrix.json:
      template: confusion_normalized
      x: actual
      y: predicted
  - dvclive/plots/images
"""
SUB_DVCYAML = """\
stages:
  make:
    cmd: x
    wdir: out
    plots:
      - .:
          x: fpr
          y: tpr
plots:
  - Both:
      y: {out/a.csv: v}
"""


def test_dvc_rules_ids_folders_closest_parent_wdir_and_repeated_ids() -> None:
    documents = [("dvc.yaml", parse_yaml(ROOT_DVCYAML)), ("sub/dvc.yaml", parse_yaml(SUB_DVCYAML))]
    specs = declared_plots(documents, files_under)
    by_id = {s.id: s for s in specs}
    assert set(by_id) == {
        "dvclive/plots/metrics/train/loss.tsv",
        "dvclive/plots/metrics/eval/loss.tsv",
        "dvc.yaml::Both",
        "sub/dvc.yaml::Both",
        "dvclive/plots/sklearn/confusion_matrix.json",
        "dvclive/plots/images/first.png",
        "sub/out/a.csv",
        "sub/out/deeper/b.csv",
    }
    # The eval file is kept by its closer folder id, with that id's props.
    eval_loss = by_id["dvclive/plots/metrics/eval/loss.tsv"]
    assert (eval_loss.title, eval_loss.files) == (
        "Eval", (PlotFile("dvclive/plots/metrics/eval/loss.tsv", None, ("loss",)),),
    )  # fmt: skip
    assert by_id["dvclive/plots/metrics/train/loss.tsv"].files[0].x == "step"
    assert [f.x for f in by_id["dvc.yaml::Both"].files] == ["step", "step"]
    assert by_id["sub/dvc.yaml::Both"].paths == ["sub/out/a.csv"]
    kinds = {s.id: s.kind for s in specs}
    assert kinds["dvclive/plots/sklearn/confusion_matrix.json"] == "confusion"
    assert kinds["dvclive/plots/images/first.png"] == "image"
    assert kinds["sub/out/a.csv"] == kinds["sub/out/deeper/b.csv"] == "curve"
    assert kinds["dvc.yaml::Both"] == "line"


def test_the_same_ids_as_dvc_plots_show(tmp_path: Path) -> None:
    contents = {
        "dvc.yaml": ROOT_DVCYAML,
        "sub/dvc.yaml": SUB_DVCYAML,
        **dict.fromkeys(FILES[:2], "step\tloss\n0\t1\n"),
        FILES[2]: '[{"actual": "a", "predicted": "b"}]',
        FILES[3]: "",
        **dict.fromkeys(FILES[4:], "fpr,tpr,v\n0,0,1\n1,1,2\n"),
    }
    root = make_repo(tmp_path / "rules", contents)
    Image.new("RGB", (2, 2)).save(root / FILES[3])
    shown = json.loads(run(["dvc", "plots", "show", "--json"], root).stdout)
    assert not shown.get("errors")
    ours = plots_of(WorkspaceSource(root, root / ".dvc"))
    assert {s.id for s in ours.specs if s.declared} == set(shown["data"])


# Templating in plots: `vars` and `${}` in top-level plot ids and in a named plot's files, a
# `foreach` stage whose plots and `wdir` are templated, and a `matrix` stage.
TEMPLATED_DVCYAML = """\
vars:
  - live: logs
    results: out
stages:
  evaluate:
    foreach: [train, test]
    do:
      cmd: echo ${item}
      wdir: ${results}
      plots:
        - roc/${item}.csv:
            x: fpr
            y: tpr
  sweep:
    matrix:
      lr: [1, 2]
    cmd: echo ${item.lr}
    plots:
      - sweep/lr${item.lr}.csv
plots:
  - ${live}/plots/metrics:
      x: step
  - Loss:
      y:
        ${live}/plots/metrics/train/loss.tsv: loss
"""
TEMPLATED_FILES = {
    "logs/plots/metrics/train/loss.tsv": "step\tloss\n0\t1\n",
    "out/roc/train.csv": "fpr,tpr\n0,0\n1,1\n",
    "out/roc/test.csv": "fpr,tpr\n0,0\n1,1\n",
    "sweep/lr1.csv": "x,y\n0,1\n",
    "sweep/lr2.csv": "x,y\n0,1\n",
}


def test_templated_plots_have_the_ids_dvc_plots_show_gives(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "templated", {"dvc.yaml": TEMPLATED_DVCYAML, **TEMPLATED_FILES})
    shown = json.loads(run(["dvc", "plots", "show", "--json"], root).stdout)
    assert not shown.get("errors")
    ours = plots_of(WorkspaceSource(root, root / ".dvc"))
    ids = {s.id for s in ours.specs if s.declared}
    assert ids == set(shown["data"])
    assert ids == {"Loss", *TEMPLATED_FILES}
    by_id = {s.id: s for s in ours.specs}
    assert by_id["out/roc/test.csv"].files == (PlotFile("out/roc/test.csv", "fpr", ("tpr",)),)
    assert by_id["Loss"].paths == ["logs/plots/metrics/train/loss.tsv"]


def test_dvclive_folder_of_a_path() -> None:
    assert live_folder_of("a/b/plots/metrics/x/y.tsv") == "a/b"
    assert live_folder_of("dvclive/plots/sklearn/cm/test.json") == "dvclive"
    assert live_folder_of("dvclive/plots/metrics") is None
    assert live_folder_of("plots/other/x.tsv") is None


yaml_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["dvclive/plots/metrics", "x", "y", "step", "confusion", *FILES]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["plots", "stages", "metrics", "outs", "x", "y", "template", "wdir",
                         "title", "cmd", *FILES]) | st.text(max_size=6),
        children, max_size=4,
    ),
    max_leaves=20,
)  # fmt: skip


class GarbageReader:
    """A reader whose files hold anything."""

    def __init__(self, content: Any) -> None:
        self.content_value = content

    def table(self, plot_file: PlotFile) -> StepTable | None:
        table = StepTable(x=plot_file.x, y=plot_file.y)
        table.feed(str(self.content_value).encode())
        return table

    def content(self, path: str) -> Any:
        return self.content_value


@settings(max_examples=200, deadline=None)
@given(documents=st.lists(yaml_like, max_size=3), content=yaml_like)
def test_no_document_or_file_content_makes_an_error(documents: list[Any], content: Any) -> None:
    parsed: Iterable[tuple[str, Mapping[str, Any]]] = [
        (f"d{i}/dvc.yaml" if i else "dvc.yaml", d)
        for i, d in enumerate(documents)
        if isinstance(d, Mapping)
    ]
    plots = collect_plots(list(parsed), files_under, lambda path: content)
    data = assemble(plots, GarbageReader(content))
    assert isinstance(data, LiveData)
    assert isinstance(data.charts, list)
