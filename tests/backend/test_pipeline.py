"""The fast reading of a plain dvc.yaml never accepts what DVC's schema refuses, and takes the
usual shapes (this project's own dvc.yaml, DVC's own dvc.lock) without importing DVC."""

from __future__ import annotations

import pytest
import voluptuous as vol
from dvc.schema import COMPILED_LOCKFILE_SCHEMA, COMPILED_MULTI_STAGE_SCHEMA

from tests.conftest import ROOT
from tui.backend.formats import parse_yaml
from tui.backend.pipeline import _LOCK, _TOP, _plain, load_pipeline

USUAL = [
    "stages:\n  s:\n    cmd: echo\n",
    "stages: {s: {cmd: [echo a, echo b], wdir: sub, deps: [a.py]}}",
    "stages: {s: {cmd: echo, params: [lr, {other.yaml: null}, {x.json: [a, b.c]}]}}",
    "stages: {s: {cmd: echo, outs: [a, {b: {cache: false, persist: true}}]}}",
    "stages: {s: {cmd: echo, metrics: [{m.json: {cache: false}, n.json: {cache: false}}]}}",
    "stages: {s: {cmd: echo, plots: [{p.csv: {x: step, y: loss}}]}}",
    "stages: {s: {cmd: echo, frozen: true, always_changed: false, desc: d, meta: {a: 1}}}",
    "params: [a.yaml]\nmetrics: [m.json]\n",
    "plots: [p.json, {Loss: {x: step, y: {a.tsv: loss, b.tsv: [loss, acc]}, x_label: E}}]",
    "plots: [{q.json: null}]",
    "artifacts: {model: {path: models/m.pkl, type: model, labels: [a]}}",
    "vars: [config.yaml, {a: 1}]\nstages: {s: {foreach: '${xs}', do: {cmd: 'echo ${item}'}}}",
    "stages: {s: {matrix: {a: [1, 2], b: '${bs}'}, cmd: echo}}",
    "",
]
UNUSUAL = [
    "stages:\n  s:\n    command: echo\n",
    "stages:\n  s:\n    cmd: echo\n    deps: a.py\n",
    "stages:\n  s:\n    cmd: echo\n    wdir: null\n",
    "stages:\n  s:\n    cmd: 1\n",
    "stages:\n  s:\n    cmd: echo\n    outs:\n      - a:\n          cache: ${flag}\n",
    "stages:\n  s:\n    cmd: echo\n    outs:\n      - a: null\n",
    "stages:\n  s:\n    cmd: echo\n    params:\n      - x.yaml: a\n",
    "stages:\n  s:\n    cmd: echo\n    params:\n      - 1\n",
    "stages:\n  s:\n    foreach: [1]\n    do:\n      cmd: echo\n    wdir: x\n",
    "stages:\n  1:\n    cmd: echo\n",
    "stages: []\n",
    "params: a.yaml\n",
    "plots:\n  - {}\n",
    "plots:\n  - p:\n      x: 1\n",
    "artifacts:\n  model:\n    type: model\n",
    "unknown: 1\n",
    "- 1\n",
    "stages:\n  s:\n    cmd: echo\n    deps: [a, 1]\n",
]  # fmt: skip


def dvc_accepts(schema: vol.Schema, text: str) -> bool:
    try:
        schema(parse_yaml(text) or {})
    except vol.Invalid:
        return False
    return True


@pytest.mark.parametrize("text", USUAL + UNUSUAL)
def test_what_we_accept_dvcs_schema_accepts(text: str) -> None:
    ours = _TOP(parse_yaml(text) or {})
    assert ours == (text in USUAL)
    assert not ours or dvc_accepts(COMPILED_MULTI_STAGE_SCHEMA, text)


LOCKS = {
    "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    deps:\n    - path: a.py\n      hash: md5\n"
    "      md5: 5d8f4ba58b2305f87fefe455ef2c754d\n      size: 63\n    params:\n      params.yaml:\n"
    "        lr: 0.1\n    outs:\n    - path: d\n      hash: md5\n      md5: 0a.dir\n      size: 1\n"
    "      nfiles: 2\n": True,
    "schema: '2.0'\nstages: {}\n": True,
    "stages: {}\n": False,
    "schema: '1.0'\nstages: {}\n": False,
    "schema: '2.0'\nstages:\n  s:\n    deps: []\n": False,
    "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n    - md5: abc\n": False,
    "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n    - path: a\n      md5: ab\n": False,
}  # fmt: skip


@pytest.mark.parametrize(("text", "usual"), LOCKS.items())
def test_what_we_accept_in_a_lock_file_dvcs_schema_accepts(text: str, usual: bool) -> None:
    ours = _LOCK(parse_yaml(text) or {})
    assert ours == usual
    assert not ours or dvc_accepts(COMPILED_LOCKFILE_SCHEMA, text)


class Project:
    """This project's dvc.yaml alone, as a Source."""

    def read(self, path: str) -> bytes | None:
        return (ROOT / path).read_bytes() if path == "dvc.yaml" else None

    def files_under(self, folder: str) -> list[str]:
        return []


def test_this_projects_pipeline_is_read_without_dvc() -> None:
    data = (ROOT / "dvc.yaml").read_bytes()
    plain = _plain(Project(), "dvc.yaml", data)
    assert plain is not None and plain.stages == parse_yaml(data)["stages"]


class Files(dict[str, bytes]):
    """A few files, as a Source."""

    def read(self, path: str) -> bytes | None:
        return self.get(path)

    def files_under(self, folder: str) -> list[str]:
        return [p for p in self if p.startswith(folder + "/")]


def test_top_level_plots_come_resolved() -> None:
    plain = Files({"dvc.yaml": b"plots: [a.tsv, {L: {y: {b.tsv: x}}}]\n"})
    assert load_pipeline(plain, "dvc.yaml").plots == ["a.tsv", {"L": {"y": {"b.tsv": "x"}}}]
    templated = Files({"dvc.yaml": b"vars: [{d: logs}]\nplots: ['${d}/a.tsv', {'${d}': null}]\n"})
    assert load_pipeline(templated, "dvc.yaml").plots == ["logs/a.tsv", {"logs": None}]
