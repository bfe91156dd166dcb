"""Listing speed: `catdog-tui ls --json` against `dvc exp show --json`, side by side.

For each size, a generated repository (bench/fixtures.py) with that many experiments, and
each command run as a new process (interpreter start and imports included):
- dvc, no cache: `dvc exp show --json` with DVC's result cache (.dvc/tmp/exps/cache) emptied;
- dvc, cached: the same again, DVC's cache filled by the first call;
- ours, no cache: `catdog-tui ls --json` with our cache (.dvc/tmp/catdog-tui/cache) emptied;
- ours, cached: the same again;
- ours, refresh: a second listing in one process (what the app does when something changes).

    python bench/listing.py --sizes 10 100 500 2000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fixtures import make_repo  # noqa: E402
from tui.backend.experiments import ExperimentIndex  # noqa: E402
from tui.backend.repo import find_repo  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(root: Path, count: int, repeats: int) -> dict[str, float]:
    """Median seconds of each way of listing `root`."""
    dvc_cold, dvc_warm, ours_cold, ours_cached, ours_warm = [], [], [], [], []
    dvc = [str(BIN / "dvc"), "exp", "show", "--json"]
    ours = [str(BIN / "catdog-tui"), "ls", "--json"]
    for _ in range(repeats):
        shutil.rmtree(root / ".dvc" / "tmp" / "exps" / "cache", ignore_errors=True)
        dvc_cold.append(_timed(dvc, root))
        dvc_warm.append(_timed(dvc, root))
        shutil.rmtree(root / ".dvc" / "tmp" / "catdog-tui", ignore_errors=True)
        ours_cold.append(_timed(ours, root))
        ours_cached.append(_timed(ours, root))
        index = ExperimentIndex(find_repo(root))
        rows = index.list()
        assert len(rows) == count + 2, len(rows)
        started = time.perf_counter()
        index.list()
        ours_warm.append(time.perf_counter() - started)
    return {
        "dvc_cold": statistics.median(dvc_cold),
        "dvc_warm": statistics.median(dvc_warm),
        "ours_cold": statistics.median(ours_cold),
        "ours_cached": statistics.median(ours_cached),
        "ours_warm": statistics.median(ours_warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500, 2000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'experiments':>11} | {'dvc':>8} {'ours':>8} {'ratio':>6} | {'dvc':>8} {'ours':>8} "
        f"{'ratio':>6} | {'refresh':>8} {'ratio':>6}"
    )
    modes = ("no cache, new process", "cached, new process")
    print(f"{'':>11} | {modes[0]:^24} | {modes[1]:^24} | {'in process':^15}")
    with tempfile.TemporaryDirectory(prefix="catdog-listing-") as scratch:
        for size in args.sizes:
            root = make_repo(Path(scratch) / f"n{size}", size)
            r = measure(root, size, args.repeats)
            print(
                f"{size:>11} | {r['dvc_cold']:>7.2f}s {r['ours_cold']:>7.3f}s "
                f"{r['dvc_cold'] / r['ours_cold']:>5.1f}x | {r['dvc_warm']:>7.2f}s "
                f"{r['ours_cached']:>7.3f}s {r['dvc_warm'] / r['ours_cached']:>5.1f}x | "
                f"{r['ours_warm'] * 1000:>6.1f}ms {r['dvc_warm'] / r['ours_warm']:>5.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
