"""Listing speed: `catdog-tui ls --json` against `dvc exp show --json`, side by side.

For each size, a generated repository (bench/fixtures.py) with that many experiments:
- dvc, cold: `dvc exp show --json` with DVC's own result cache (.dvc/tmp/exps/cache) emptied;
- dvc, warm: the same again, its cache filled by the first call;
- ours, cold process: `catdog-tui ls --json` from a new interpreter, imports included;
- ours, warm refresh: a second listing in the same process (what the app does on a change).

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
    dvc_cold, dvc_warm, ours_cold, ours_warm = [], [], [], []
    for _ in range(repeats):
        shutil.rmtree(root / ".dvc" / "tmp" / "exps" / "cache", ignore_errors=True)
        dvc_cold.append(_timed([str(BIN / "dvc"), "exp", "show", "--json"], root))
        dvc_warm.append(_timed([str(BIN / "dvc"), "exp", "show", "--json"], root))
        ours_cold.append(_timed([str(BIN / "catdog-tui"), "ls", "--json"], root))
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
        "ours_warm": statistics.median(ours_warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500, 2000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'experiments':>11}  {'dvc cold':>9}  {'dvc warm':>9}  {'ours cold':>9}  "
        f"{'ours warm':>9}  {'cold vs dvc warm':>16}"
    )
    with tempfile.TemporaryDirectory(prefix="catdog-listing-") as scratch:
        for size in args.sizes:
            root = make_repo(Path(scratch) / f"n{size}", size)
            result = measure(root, size, args.repeats)
            ratio = result["dvc_warm"] / result["ours_cold"]
            print(
                f"{size:>11}  {result['dvc_cold']:>8.2f}s  {result['dvc_warm']:>8.2f}s  "
                f"{result['ours_cold']:>8.3f}s  {result['ours_warm'] * 1000:>7.1f}ms  "
                f"{ratio:>15.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
