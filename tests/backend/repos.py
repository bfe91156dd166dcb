"""Small real git + DVC repositories of other shapes than ours, whose stages need no TensorFlow."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import run
from tui.backend.errors import BackendError
from tui.backend.service import Backend

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

# A training loop logged by DVCLive, 60 s a step by a clock of its own (DVCLive's timestamps
# read it), that logs `train.logged` of `train.epochs` steps and then waits while `train.hold`
# exists: a run in progress whose time left is known exactly (2:00 with the defaults).
TIMED_TRAIN = """\
import time
import types
from pathlib import Path

import dvclive.plots.metric
import yaml
from dvclive import Live

params = yaml.safe_load(open("params.yaml"))["train"]
now = [1_700_000_000.0]
dvclive.plots.metric.time = types.SimpleNamespace(time=lambda: now[0])
with Live(dir="dvclive", save_dvc_exp=False, dvcyaml=None) as live:
    for step in range(params["logged"]):
        now[0] += 60
        live.log_metric("loss", 1 / (step + 1), timestamp=True)
        live.next_step()
    while params["hold"] and Path(params["hold"]).exists():
        time.sleep(0.05)
"""

TIMED = {
    "params.yaml": "train:\n  epochs: 5\n  logged: 3\n  hold: ''\n",
    "train.py": TIMED_TRAIN,
    "dvc.yaml": """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [train.epochs, train.logged, train.hold]
    metrics:
      - dvclive/metrics.json:
          cache: false
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


def stop_runs(root: Path) -> None:
    """Stop every run of ours still going in `root` and wait for each to end."""
    runs = Backend.discover(root).runs
    for record in runs.all():
        if not record.finished:
            try:
                runs.stop(record.id)
            except BackendError:
                continue
            runs.wait(record.id, timeout=60)


@contextmanager
def held_timed_repo(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A repository of TIMED under `tmp_path` and a file for `train.hold`; however the block
    ends, the file is removed and the runs stopped."""
    root = make_repo(tmp_path / "repo", TIMED)
    hold = tmp_path / "hold"
    hold.touch()
    try:
        yield root, hold
    finally:
        hold.unlink(missing_ok=True)
        stop_runs(root)
