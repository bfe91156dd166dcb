"""Stage `train`: `python -m training.train`. Validates everything before importing TensorFlow,
and claims the run's GPUs before TensorFlow can see any other."""

from __future__ import annotations

import os
from pathlib import Path

from training.gpus import claim_for_run, repo_root
from training.layout import check_raw_dir
from training.params import load_params
from training.stage import run_stage


def main() -> None:
    """Entry point of `python -m training.train`."""
    params = load_params()
    check_raw_dir()
    # TensorFlow's start-up chatter would bury the epoch lines in the run's log.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    visible, claimed = claim_for_run(params.train.gpus, repo_root(Path.cwd()))
    from training.devices import import_tensorflow

    devices = import_tensorflow(params.train, visible, claimed)
    print(devices.line, flush=True)
    from training.fit import train

    train(params, devices)


if __name__ == "__main__":
    raise SystemExit(run_stage(main))
