"""The listing equals `dvc exp show --json` on repositories that need DVC's parsing rules:
templated dvc.yaml files, params in every format, .dvcignore, files that do not parse, dates,
YAML 1.2 scalars, one key in two files. Committed files are enough for `dvc exp show`, so most
repositories here run nothing; one runs a trivial stage for an experiment row.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.backend.oracle import dvc_rows, our_rows
from tests.backend.repos import make_repo
from tests.conftest import run
from tui.backend import pipeline
from tui.backend.experiments import Experiment, ExperimentIndex
from tui.backend.repo import find_repo
from tui.display import RESERVED, columns


def listing(root: Path, num: int = 1) -> list[Experiment]:
    return ExperimentIndex(find_repo(root)).list(num)


def assert_same_as_dvc(root: Path, num: int = 1) -> dict[str, dict[str, Any]]:
    """Our rows equal DVC's, row for row; returns ours."""
    expected = dvc_rows(root, "-n", str(num))
    ours = our_rows(listing(root, num))
    assert ours.keys() == expected.keys()
    for rev, row in expected.items():
        assert ours[rev] == row, rev
    return ours


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


def commit(root: Path, files: dict[str, str], message: str) -> None:
    write(root, files)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "-m", message], root)


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return make_repo(tmp_path / "repo", {name: textwrap.dedent(t) for name, t in files.items()})


def rows_by_rev(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Workspace first, then baselines newest first (dict order of the listing)."""
    return list(rows.values())


TEMPLATED = {
    "params.yaml": """\
        model:
          lr: 0.1
          layers: 2
        out_dir: results
        seeds: [1, 2]
        """,
    "config.yaml": """\
        batch: 32
        folder: reports
        unused: 5
        nested:
          deep: 7
        """,
    "extra.json": '{"seed": 3}',
    "sweep_adam.toml": 'beta = 0.9\n[opt]\nname = "adam"\n',
    "sweep_sgd.toml": "beta = 0.5\n",
    "results/train.json": '{"acc": 0.5}',
    "reports/eval_1.json": '{"acc": 0.6}',
    "reports/eval_2.json": '{"acc": 0.7}',
    "sweep/adam_1.json": '{"loss": 1}',
    "sweep/sgd_2.json": '{"loss": 4}',
    "dvc.yaml": """\
        vars:
          - config.yaml
          - local_name: extra
        stages:
          train:
            cmd: echo ${model.lr} ${batch} ${nested.deep}
            params:
              - model.lr
              - ${local_name}.json:
            metrics:
              - ${out_dir}/train.json:
                  cache: false
          evaluate:
            foreach: ${seeds}
            do:
              cmd: echo ${item}
              params: [model.layers]
              metrics:
                - ${folder}/eval_${item}.json:
                    cache: false
          sweep:
            matrix:
              opt: [adam, sgd]
              size: [1, 2]
            cmd: echo ${item.opt} ${item.size}
            params:
              - sweep_${item.opt}.toml:
            metrics:
              - sweep/${item.opt}_${item.size}.json:
                  cache: false
        """,
    # A nested dvc.yaml: its own params.yaml is its default vars file, its wdir templated.
    "sub/params.yaml": "name: inner\nthreshold: 0.5\n",
    "sub/inner/score.json": '{"f1": 0.8}',
    "sub/dvc.yaml": """\
        stages:
          check:
            wdir: ${name}
            cmd: echo ${threshold}
            params:
              - ../params.yaml:
                  - threshold
            metrics:
              - score.json:
                  cache: false
        """,
}


def test_templated_dvc_yaml_with_vars_foreach_and_matrix(tmp_path: Path) -> None:
    root = repo(tmp_path, TEMPLATED)
    ours = assert_same_as_dvc(root)
    workspace = ours["workspace"]
    # Values interpolated from a vars file that is not a params file show as its params.
    assert workspace["params"]["config.yaml"] == {
        "batch": 32,
        "nested.deep": 7,
        "folder": "reports",
    }
    assert workspace["params"]["sweep_sgd.toml"] == {"beta": 0.5}
    assert workspace["params"]["sub/params.yaml"] == {"threshold": 0.5}
    assert workspace["metrics"]["reports/eval_2.json"] == {"acc": 0.7}
    assert workspace["metrics"]["sub/inner/score.json"] == {"f1": 0.8}
    assert workspace["errors"] == ["sweep/adam_2.json", "sweep/sgd_1.json"]


def test_a_changed_vars_file_changes_the_listing(tmp_path: Path) -> None:
    root = repo(tmp_path, TEMPLATED)
    index = ExperimentIndex(find_repo(root))
    index.list()
    # Same dvc.yaml and params.yaml, another vars file: the folder interpolated moves.
    commit(root, {"config.yaml": "batch: 64\nfolder: results\nnested: {deep: 1}\n"}, "vars")
    write(root, {"results/eval_1.json": '{"acc": 0.9}'})
    rows = {row.rev: row for row in index.list(2)}
    expected = dvc_rows(root, "-n", "2")
    assert our_rows(list(rows.values())) == expected
    assert rows["workspace"].metrics["results/eval_1.json"] == {"acc": 0.9}


STEP = """\
    import json, sys
    from pathlib import Path
    out = Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"score": float(sys.argv[1]) * 2}))
    """


def test_experiment_of_a_templated_pipeline(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "params.yaml": "train:\n  lr: 0.1\nout: results\n",
            "step.py": STEP,
            "dvc.yaml": """\
                stages:
                  fit:
                    foreach: [a, b]
                    do:
                      cmd: python step.py ${train.lr} ${out}/${item}.json
                      deps: [step.py]
                      params: [train.lr]
                      metrics:
                        - ${out}/${item}.json:
                            cache: false
                """,
        },
    )
    run(["dvc", "exp", "run", "-q", "-n", "faster", "-S", "train.lr=0.3"], root)
    ours = assert_same_as_dvc(root)
    faster = next(row for row in ours.values() if row["name"] == "faster")
    assert faster["metrics"]["results/b.json"] == {"score": pytest.approx(0.6)}


def test_params_in_toml_json_and_python(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "hp.toml": """\
                lr = 0.1
                big = 1_000
                release = 2024-05-01
                [model]
                layers = 3
                """,
            "hp.json": '{"seed": 7, "flags": {"fast": true, "slow": false}, "empty": {}}',
            "hp.py": """\
                import os

                LR = 0.01
                SIZES = [1, 2]
                SHAPE = (3, 4)
                NAME: str = "x"
                COMPUTED = os.getcwd()


                class Train:
                    epochs = 5
                    opts = {"a": 1}

                    def __init__(self):
                        self.dropout = 0.2


                def helper():
                    return 1
                """,
            "dvc.yaml": """\
                stages:
                  train:
                    cmd: echo
                    params:
                      - hp.toml:
                      - hp.json: [flags.fast, seed]
                      - hp.py:
                """,
        },
    )
    ours = assert_same_as_dvc(root)
    params = ours["workspace"]["params"]
    assert params["hp.py"]["Train.dropout"] == 0.2
    assert params["hp.py"]["SHAPE"] == [3, 4]
    assert params["hp.toml"]["release"] == "2024-05-01"
    assert params["hp.json"] == {"flags.fast": True, "seed": 7}


def test_dvcignore_and_subrepos_hide_dvc_yaml_files(tmp_path: Path) -> None:
    def tracking(name: str) -> str:
        return f"stages:\n  s:\n    cmd: echo\n    params:\n      - {name}:\n"

    root = repo(
        tmp_path,
        {
            ".dvcignore": "# comment\nignored/\nextra*/\n!extra_keep/\n",
            "ignored/dvc.yaml": tracking("../ignored.yaml"),
            "ignored/broken/dvc.yaml": "stages: [\n",
            "extra_one/dvc.yaml": tracking("../one.yaml"),
            "extra_keep/dvc.yaml": tracking("../keep.yaml"),
            "kept/.dvcignore": "deeper\n",
            "kept/dvc.yaml": tracking("../kept.yaml"),
            "kept/deeper/dvc.yaml": tracking("../../deeper.yaml"),
            "sub/.dvc/config": "",
            "sub/dvc.yaml": tracking("../subrepo.yaml"),
            **{f"{name}.yaml": "v: 1\n" for name in ("ignored", "one", "keep", "kept", "deeper")},
            "subrepo.yaml": "v: 1\n",
        },
    )
    ours = assert_same_as_dvc(root)
    assert set(ours["workspace"]["params"]) == {"keep.yaml", "kept.yaml"}


BROKEN_LATER = {
    "params.yaml": "lr: 0.1\n",
    "other.yaml": "a: [\n",
    "bad.py": "def (:\n",
    "m.json": "not json",
    "num.json": "0.5",
    "list.json": "[1, 2]",
    "dvc.yaml": """\
        stages:
          train:
            cmd: echo
            params:
              - lr
              - other.yaml:
              - bad.py:
            metrics:
              - m.json:
                  cache: false
              - gone.json:
                  cache: false
              - num.json:
                  cache: false
              - list.json:
                  cache: false
        """,
}


def test_errors_by_file_and_by_revision(tmp_path: Path) -> None:
    root = repo(tmp_path, BROKEN_LATER)
    pipeline_file = textwrap.dedent(BROKEN_LATER["dvc.yaml"])
    commit(root, {"dvc.yaml": "stages:\n  train:\n    command: echo\n"}, "not DVC's schema")
    commit(root, {"dvc.yaml": pipeline_file, "params.yaml": "lr: [\n"}, "params.yaml broken")
    unresolvable = pipeline_file.replace("echo", "echo ${nope}")
    commit(root, {"params.yaml": "lr: 0.1\n", "dvc.yaml": unresolvable}, "unknown var")
    commit(root, {"dvc.yaml": pipeline_file, "dvc.lock": "schema: '2.0'\nstages: [\n"}, "lock")
    write(root, {"dvc.yaml": "stages:\n  train:\n    cmd: [\n"})
    ours = rows_by_rev(assert_same_as_dvc(root, num=5))
    assert [row["error"] for row in ours] == [True, True, True, True, True, False]
    first = ours[-1]
    assert first["errors"] == ["bad.py", "gone.json", "m.json", "other.yaml"]
    assert first["metrics"]["num.json"] == {"": 0.5}
    assert first["metrics"]["list.json"] == {}


def test_dates_in_params(tmp_path: Path) -> None:
    # DVC stores a commit's values in its cache as JSON first, which refuses a date: that
    # commit's row is an error. A datetime passes, as ISO text.
    root = repo(tmp_path, {"params.yaml": "release: 2024-05-01\nlr: 0.1\n"})
    dvcfile = "stages:\n  s:\n    cmd: echo\n    params:\n      - lr\n      - dates.yaml:\n"
    at = "at: 2024-05-01 10:00:00\ntz: 2024-05-01T10:00:00+02:00\n"
    commit(root, {"params.yaml": "lr: 0.1\n", "dates.yaml": at, "dvc.yaml": dvcfile}, "datetimes")
    # Beside a dvc.yaml, params.yaml is loaded for templating, which refuses a date.
    commit(root, {"params.yaml": "lr: 0.1\nwhen: 2024-05-01\n"}, "a date in params.yaml")
    # The workspace is not cached: its date shows, as ISO text.
    write(root, {"params.yaml": "lr: 0.1\n", "dates.yaml": f"{at}day: 2024-05-01\n"})
    fresh = assert_same_as_dvc(root, num=3)
    ours = rows_by_rev(fresh)
    assert [row["error"] for row in ours] == [False, True, False, True]
    assert ours[0]["params"]["dates.yaml"]["day"] == "2024-05-01"
    assert ours[2]["params"]["dates.yaml"]["tz"] == "2024-05-01T10:00:00+02:00"
    shown = json.loads(run(["catdog-tui", "ls", "--json", "-n", "3"], root).stdout)
    assert shown[0]["params"]["dates.yaml"]["day"] == "2024-05-01"
    assert shown[1]["error"].startswith("TypeError: Unsupported value of type 'date'")
    # Again, from the values kept on disk.
    assert our_rows(listing(root, 3)) == fresh


TRICKY = [
    "1_000", "0b101", "-0x1F", "0o17", "+12", "017", "1__0", "0x_1F", "1.5_0", "1_0.5",
    ".5e3", "1e3", "1.", "+.5", "-.inf", "yes", "on", "True", "~", "0b", "190:20:30",
    "2024-05-01", "0.0_1e1_0",
]  # fmt: skip


def test_yaml_12_scalars(tmp_path: Path) -> None:
    params = "".join(f"v{i}: {text}\n" for i, text in enumerate(TRICKY))
    root = repo(tmp_path, {"scalars.yaml": params, "dvc.yaml": "params: [scalars.yaml]\n"})
    ours = assert_same_as_dvc(root)
    values = ours["workspace"]["params"]["scalars.yaml"]
    assert values["v0"] == 1000 and values["v1"] == 5 and values["v10"] == ".5e3"


def test_one_key_in_two_files_keeps_two_columns(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "params.yaml": "lr: 0.1\nseed: 1\nrev: 3\n",
            "other.yaml": "lr: 0.2\n",
            "m.json": '{"lr": 5, "acc": 0.9}',
            "n.json": "0.75",
            "dvc.yaml": """\
                stages:
                  train:
                    cmd: echo
                    params:
                      - other.yaml:
                    metrics:
                      - m.json:
                          cache: false
                      - n.json:
                          cache: false
                """,
        },
    )
    assert_same_as_dvc(root)
    header = run(["dvc", "exp", "show", "--csv"], root).stdout.splitlines()[0].split(",")
    shown = json.loads(run(["dvc", "exp", "show", "--json"], root).stdout)
    deps = set(shown[0]["data"]["deps"])
    metric_keys, param_keys = columns(listing(root), only_changed=False)
    assert set(metric_keys) | set(param_keys) == set(header) - RESERVED - deps
    assert {"params.yaml:lr", "other.yaml:lr", "params.yaml:rev", "seed"} == set(param_keys)
    assert {"m.json:lr", "acc"} == set(metric_keys)
    # The CLI table shows params that differ between rows: make both differ.
    write(root, {"params.yaml": "lr: 0.3\nseed: 1\nrev: 3\n", "other.yaml": "lr: 0.4\n"})
    header = run(["catdog-tui", "ls"], root).stdout.splitlines()[0].split()
    assert {"m.json:lr", "acc", "params.yaml:lr", "other.yaml:lr"} <= set(header)


def test_plain_pipelines_are_listed_without_importing_dvc(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "plain")  # `dvc init`'s .dvcignore: comments only
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tui.backend.experiments import ExperimentIndex\n"
        "from tui.backend.repo import find_repo\n"
        "rows = ExperimentIndex(find_repo(Path('.'))).list()\n"
        "assert rows[1].params['config/hparams.yaml']['lr'] == 0.1, rows\n"
        "print(sorted(m for m in ('dvc', 'pathspec', 'ruamel') if m in sys.modules))\n"
    )
    assert run(["python", "-c", probe], root).stdout.strip() == "[]"


class Files:
    """An in-memory Source."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {name: text.encode() for name, text in files.items()}

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def files_under(self, folder: str) -> list[str]:
        return [name for name in self.files if name.startswith(f"{folder}/")]


def test_resolved_pipelines_are_kept_while_what_they_read_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    resolve = pipeline._resolve

    def counting(*args: Any) -> pipeline.Pipeline:
        calls.append(args[1])
        return resolve(*args)

    monkeypatch.setattr(pipeline, "_resolve", counting)
    monkeypatch.setattr(pipeline, "_resolved_cache", {})
    files = Files({
        "dvc.yaml": "vars: [config.yaml]\nstages:\n  s:\n    cmd: echo ${lr}\n    params: [x]\n",
        "config.yaml": "lr: 0.1\n",
        "params.yaml": "x: 1\n",
    })  # fmt: skip
    first = pipeline.load_pipeline(files, "dvc.yaml")
    assert first.tracked_vars == {"config.yaml": {"lr": 0.1}}
    assert first.inputs >= {"dvc.yaml", "config.yaml", "params.yaml", "dvc.lock"}
    assert pipeline.load_pipeline(files, "dvc.yaml") == first
    files.files["unrelated.txt"] = b"x"
    pipeline.load_pipeline(files, "dvc.yaml")
    assert len(calls) == 1
    files.files["config.yaml"] = b"lr: 0.2\n"
    assert pipeline.load_pipeline(files, "dvc.yaml").tracked_vars == {"config.yaml": {"lr": 0.2}}
    assert len(calls) == 2
    # A plain dvc.yaml never reaches DVC.
    plain = Files(
        {"dvc.yaml": "stages:\n  s:\n    cmd: echo\n    params: [x]\n", "params.yaml": "x: 1\n"}
    )
    assert pipeline.load_pipeline(plain, "dvc.yaml").stages["s"]["params"] == ["x"]
    assert len(calls) == 2
