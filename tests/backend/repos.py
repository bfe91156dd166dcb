"""Small real git + DVC repositories of other shapes than ours, whose stages need no TensorFlow."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import run

# A stage that reads its params with PyYAML, can be told to fail or to wait, and writes
# metrics into a nested folder. `hold` names a file: while it exists, the stage waits, which
# lets a test look at a run in progress without guessing at timings.
STEP = """\
import json, sys, time
from pathlib import Path
import yaml

params = yaml.safe_load(open("config/hparams.yaml"))
while params["hold"] and Path(params["hold"]).exists():
    time.sleep(0.05)
if params["lr"] < 0:
    sys.exit("lr must be positive")
Path("results/nested").mkdir(parents=True, exist_ok=True)
json.dump({"score": params["lr"] * 2, "deep": {"f1": 0.5, "tags": ["x"]}},
          open("results/nested/scores.json", "w"))
json.dump({"loss": 1 - params["lr"]}, open("summary.json", "w"))
"""

PREPARE = """\
from pathlib import Path
Path("prepared.txt").write_text("ok")
"""

SHAPES = {
    "config/hparams.yaml": "lr: 0.1\nlayers: 3\nhold: ''\nunused: 1e-3\n",
    "extra.json": '{"seed": 7, "flags": {"fast": true}}',
    "step.py": STEP,
    "prepare.py": PREPARE,
    "dvc.yaml": """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py]
    outs: [prepared.txt]
  train:
    cmd: python step.py
    deps: [step.py, prepared.txt]
    params:
      - config/hparams.yaml:
          - lr
          - layers
          - hold
    metrics:
      - results/nested/scores.json:
          cache: false
      - summary.json
params:
  - extra.json
""",
}


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A committed git + DVC repository holding `files`."""
    path.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], path)
    run(["dvc", "init", "-q"], path)
    for name, text in (files or SHAPES).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-q", "-m", "project"], path)
    return path


def wait_for(condition: object, timeout: float = 120.0, what: str = "condition") -> None:
    """Poll `condition()` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
