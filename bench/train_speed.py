"""Training speed: the original pipeline against ours, on the same synthetic data and params.

Each job runs in its own process in a scratch folder, alternating original and ours for
`--repeats` rounds, and reports images per second for the whole job (every epoch's training
and validation images plus the final evaluation's) and the ratio of the medians.

    python bench/train_speed.py --size 96 --epochs 3 --train-per-class 200 --val-per-class 100

`--xla` adds a job: ours with `train.xla: true`; `--no-monitor` one with
`train.monitor_system: false` (`ours-mon`: what DVCLive's system monitor costs).
`--before DIR` adds ours as it was in another checkout's `training/` (e.g. `git worktree add
/tmp/before main`), to show what a change costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL = ROOT / "bench" / "original_pipeline.py"
OURS = (
    "import json, sys, time\n"
    "from training.params import load_params\n"
    "from training.fit import train\n"
    "params = load_params()\n"
    "started = time.perf_counter()\n"
    "train(params)\n"
    "json.dump({'seconds': time.perf_counter() - started}, sys.stdout)\n"
)


def _params(args: argparse.Namespace, extra: str = "") -> str:
    return f"""\
data:
  source: synthetic
  url: https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip
  synthetic_train_per_class: {args.train_per_class}
  synthetic_validation_per_class: {args.val_per_class}
train:
  image_width: {args.size}
  image_height: {args.size}
  batch_size: {args.batch_size}
  learning_rate: 0.01
  n_epochs: {args.epochs}
{extra}model:
  backbone: resnet50
  weights: none
"""


def _run(command: list[str], cwd: Path, root: Path = ROOT) -> float:
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{command[-1][:40]!r} failed:\n{done.stderr[-3000:]}")
    last_line = done.stdout.strip().splitlines()[-1]
    seconds: float = json.loads(last_line[last_line.index("{") :])["seconds"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=96, help="image width and height")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-per-class", type=int, default=200)
    parser.add_argument("--val-per-class", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--xla", action="store_true", help="also time ours with train.xla: true")
    parser.add_argument("--before", type=Path, help="also time ours from this checkout")
    parser.add_argument("--no-monitor", action="store_true",
                        help="also time ours with train.monitor_system: false")  # fmt: skip
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from training.synthetic import write_dataset

    train_images, val_images = 2 * args.train_per_class, 2 * args.val_per_class
    images = args.epochs * (train_images + val_images) + val_images
    ours = [sys.executable, "-c", OURS]
    jobs = [("original", [sys.executable, str(ORIGINAL)], "", ROOT)]
    if args.before:
        jobs.append(("before", ours, "", args.before.resolve()))
    jobs.append(("ours", ours, "", ROOT))
    if args.no_monitor:
        jobs.append(("ours-mon", ours, "  monitor_system: false\n", ROOT))
    if args.xla:
        jobs.append(("ours+xla", ours, "  xla: true\n", ROOT))
    times: dict[str, list[float]] = {name: [] for name, _, _, _ in jobs}
    with tempfile.TemporaryDirectory(prefix="catdog-bench-") as scratch:
        work = Path(scratch)
        write_dataset(work / "data" / "raw", args.train_per_class, args.val_per_class)
        for _ in range(args.repeats):
            for name, command, extra, root in jobs:
                (work / "params.yaml").write_text(_params(args, extra))
                for leftover in ("models", "dvclive", ".dvc"):
                    shutil.rmtree(work / leftover, ignore_errors=True)
                times[name].append(_run(command, work, root))

    print(
        f"ResNet50 (weights=None, frozen), {args.size}x{args.size}, batch {args.batch_size}, "
        f"{args.epochs} epochs, {train_images} train + {val_images} validation images; "
        f"{images} images per job; {args.repeats} runs each, medians"
    )
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in medians.items():
        runs = ", ".join(f"{value:.1f}" for value in times[name])
        print(f"  {name:<9} {seconds:7.1f} s  {images / seconds:7.1f} images/s   (runs: {runs} s)")
    for name in medians:
        if name != "original":
            print(f"  ratio     {medians['original'] / medians[name]:.2f}x  ({name})")


if __name__ == "__main__":
    main()
