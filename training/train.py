"""Stage `train`: `python -m training.train`. Validates everything before importing TensorFlow."""

from __future__ import annotations

import os

from training.layout import check_raw_dir
from training.params import load_params
from training.stage import run_stage


def main() -> None:
    """Entry point of `python -m training.train`."""
    params = load_params()
    check_raw_dir()
    # TensorFlow's start-up chatter would bury the epoch lines in the run's log.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from training.fit import train

    train(params)


if __name__ == "__main__":
    raise SystemExit(run_stage(main))
