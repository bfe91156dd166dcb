"""Our fast readers give what DVC's own readers give (dvc.utils.serialize), value for value."""

from __future__ import annotations

import math
from typing import Any

import pytest
from dvc.utils.serialize import parse_json, parse_py, parse_toml, parse_yaml

from tui.backend.formats import UnreadableFile, jsonable, parse_file, unencodable

SCALARS = [
    # YAML 1.2 ints and floats as ruamel reads them: underscores, 0b/0o/0x, signs.
    "1_000", "0b101", "-0x1F", "0o17", "+12", "017", "-017", "0x_1F", "1__0", "_1", "1_",
    "0b1_0", "-0b11", "+0o17", "0o8", "09", "00", "-0", "+0", "0b", "0b2", "0o", "0x", "0X1F",
    "0O17", "0B1", "1.5_0", "1_0.5", "1e3", "1E3", "1.", "+.5", ".5e3", ".5e+3", "1e", "1e+3",
    "1.0e-3", "1_000.5", "-1_000", "685.230_15e+03", ".1_0", "1,000", "0x1.8p1", "0.0_1e1_0",
    "-.5e-3", "1.e5", "._", "+.",
    # Infinities and NaN: only these spellings.
    "-.inf", ".inf", "+.inf", ".Inf", "-.INF", ".NaN", ".nan", "nan", "inf", "-.nan",
    # YAML 1.1 words that 1.2 leaves as strings; booleans and nulls.
    "yes", "no", "on", "off", "y", "n", "True", "TRUE", "tRUE", "false", "null", "Null", "~", "",
    # Sexagesimal numbers are 1.1 only.
    "190:20:30", "190:20:30.15", "-1:30", "12:30",
    # Timestamps: dates, times, zones, fractions longer than microseconds.
    "2024-05-01", "2024-5-1", "2024-05-01 10:00:00", "2024-05-01T10:00:00Z",
    "2024-05-01t10:00:00.5+02:00", "2024-05-01 10:00:00.123456789", "2024-05-01T10:00:00-05:30",
    "2024-05-01 10:00:00 +1",
    # Scalars that match the int pattern but hold no digit, or no constructor: errors.
    "+_", "0x_", "=", "<<",
    # Explicit tags.
    "'1_000'", "!!int 1_0", "!!float 1", "!!str 0b1",
]  # fmt: skip

DOCUMENTS = [
    "a: 1\na: 2\n",  # a repeated key
    "1: a\n1.0: b\n",  # the same key, spelled twice
    "true: a\n1: b\n",
    "b: &x {k: 1}\nc:\n  <<: *x\n  k: 2\n",  # a merge, then an own key over it
    "c:\n  <<: {k: 1}\n  <<: {k: 3}\n",  # two merge keys
    "- 1\n- 2\n",
    "7\n",
    "0\n",
    "false\n",
    "~\n",
    "",
    "---\n",
    "\ufeffa: 1\n",
    "a: [1, 2]\nb: {c: d}\n",
    "a: [\n",
    "%YAML 1.2\n---\na: 1_000\n",
]


def same(theirs: Any, ours: Any) -> bool:
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    if isinstance(theirs, dict):
        return (
            isinstance(ours, dict)
            and list(theirs) == list(ours)
            and all(same(theirs[k], ours[k]) for k in theirs)
        )
    return type(theirs) is type(ours) and theirs == ours


def dvc_reads(parser: Any, text: str, name: str) -> Any:
    try:
        return parser(text, name)
    except Exception:  # whatever DVC raises is its per-file error
        return UnreadableFile


def we_read(text: str, name: str) -> Any:
    try:
        return parse_file(name, text.encode())
    except UnreadableFile:
        return UnreadableFile


@pytest.mark.parametrize("text", [f"v: {s}\n" for s in SCALARS] + DOCUMENTS)
def test_yaml_as_dvc_reads_it(text: str) -> None:
    assert same(dvc_reads(parse_yaml, text, "p.yaml"), we_read(text, "p.yaml"))


TOML = [
    "a = 1_000\nb = 0x1F\nc = 0o17\nd = 0b11\ne = +1\nf = 1e3",
    "a = inf\nb = -inf",
    "a = 1979-05-27\nb = 1979-05-27T07:32:00Z\nc = 1979-05-27 07:32:00",
    "a = 1979-05-27T07:32:00.999999-07:00\nb = 1979-05-27T07:32:00.1234567Z",
    '[t]\nb.c = 2\n[[arr]]\nx = 1\n[[arr]]\nx = 2\ns = """x\ny"""',
    "a = 1\na = 2",
    "a = ",
    "",
]


@pytest.mark.parametrize("text", TOML)
def test_toml_as_dvc_reads_it(text: str) -> None:
    theirs, ours = dvc_reads(parse_toml, text, "p.toml"), we_read(text, "p.toml")
    assert same(jsonable(theirs), jsonable(ours))


@pytest.mark.parametrize("text", ["0", "[]", "null", '{"a": NaN, "b": [1]}', "{", "\ufeff{}"])
def test_json_as_dvc_reads_it(text: str) -> None:
    assert same(dvc_reads(parse_json, text, "p.json"), we_read(text, "p.json"))


PYTHON = [
    "LR = 0.1\nSIZES = [1, 2]\nSHAPE = (1, 2)\nN: int = 3\nX = f()\n",
    "class A:\n    b = 1\n    def __init__(self):\n        self.c = 2\n",
    "a = {'x': 1}\nb = {1, 2}\n",
    "def (:\n",
]


@pytest.mark.parametrize("text", PYTHON)
def test_python_as_dvc_reads_it(text: str) -> None:
    assert same(dvc_reads(parse_py, text, "p.py"), we_read(text, "p.py"))


def test_what_dvcs_experiment_cache_cannot_encode() -> None:
    parsed = parse_file("p.yaml", b"a: 2024-05-01 10:00:00\nb: [1, {c: x}]\n")
    assert unencodable(parsed) is None
    assert unencodable({"a": [parse_file("p.yaml", b"d: 2024-05-01\n")]}) == "date"
    assert jsonable(parsed) == {"a": "2024-05-01T10:00:00", "b": [1, {"c": "x"}]}
    assert jsonable(parse_file("p.yaml", b"s: !!set {x}\nk: {1: a}\n")) == {
        "s": "{'x'}", "k": {"1": "a"}
    }  # fmt: skip
