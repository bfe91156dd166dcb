"""Listing speed: `catdog-tui ls --json` against `dvc exp show --json`, side by side.

For each size, a generated repository (bench/fixtures.py) with that many experiments, and
each command run as a new process (interpreter start and imports included); with `--history`,
a history of that many commits with `--per-commit` experiments each, listed with `-A`:
- dvc, no cache: `dvc exp show --json` with DVC's result cache (.dvc/tmp/exps/cache) emptied;
- dvc, cached: the same again, DVC's cache filled by the first call;
- ours, no cache: `catdog-tui ls --json` with our cache (.dvc/tmp/catdog-tui/cache) emptied;
- ours, cached: the same again;
- ours, refresh: a second listing in one process (what the app does when something changes).

Ours is the code of the tree this script is in, started as the `catdog-tui` console script
starts it (`from tui.cli import main`), not whatever `catdog-tui` is installed on PATH. Its
bytecode is compiled first, as `pip install` does (DVC's is): where PYTHONDONTWRITEBYTECODE
is set, every start would otherwise compile each of our modules again.

    python bench/listing.py --sizes 10 100 500 2000
    python bench/listing.py --history 100 300 --per-commit 3
"""

from __future__ import annotations

import argparse
import compileall
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

from bench.fixtures import make_history, make_repo  # noqa: E402
from tui.backend.experiments import ExperimentIndex  # noqa: E402
from tui.backend.repo import find_repo  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "DVC_NO_ANALYTICS": "1",
    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    "PYTHONPATH": str(ROOT),
}
# What the console script runs (its wrapper is these two lines), on this tree's code.
OURS = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(root: Path, rows: int, repeats: int, all_commits: bool = False) -> dict[str, float]:
    """Median seconds of each way of listing `root`, which `dvc exp show` lists in `rows` rows."""
    dvc_cold, dvc_warm, ours_cold, ours_cached, ours_warm = [], [], [], [], []
    flags = ["-A"] if all_commits else []
    dvc = [str(BIN / "dvc"), "exp", "show", *flags, "--json"]
    ours = [*OURS, "ls", *flags, "--json"]
    for _ in range(repeats):
        shutil.rmtree(root / ".dvc" / "tmp" / "exps" / "cache", ignore_errors=True)
        dvc_cold.append(_timed(dvc, root))
        dvc_warm.append(_timed(dvc, root))
        shutil.rmtree(root / ".dvc" / "tmp" / "catdog-tui", ignore_errors=True)
        ours_cold.append(_timed(ours, root))
        ours_cached.append(_timed(ours, root))
        index = ExperimentIndex(find_repo(root))
        listed = index.list(all_commits=all_commits)
        assert len(listed) == rows, (len(listed), rows)
        started = time.perf_counter()
        index.list(all_commits=all_commits)
        ours_warm.append(time.perf_counter() - started)
    return {
        "dvc_cold": statistics.median(dvc_cold),
        "dvc_warm": statistics.median(dvc_warm),
        "ours_cold": statistics.median(ours_cold),
        "ours_cached": statistics.median(ours_cached),
        "ours_warm": statistics.median(ours_warm),
    }


def _header(first: str) -> None:
    print(
        f"{first:>11} | {'dvc':>8} {'ours':>8} {'ratio':>6} | {'dvc':>8} {'ours':>8} "
        f"{'ratio':>6} | {'refresh':>8} {'ratio':>6}"
    )
    modes = ("no cache, new process", "cached, new process")
    print(f"{'':>11} | {modes[0]:^24} | {modes[1]:^24} | {'in process':^15}")


def _line(size: int, r: dict[str, float]) -> None:
    print(
        f"{size:>11} | {r['dvc_cold']:>7.2f}s {r['ours_cold']:>7.3f}s "
        f"{r['dvc_cold'] / r['ours_cold']:>5.1f}x | {r['dvc_warm']:>7.2f}s "
        f"{r['ours_cached']:>7.3f}s {r['dvc_warm'] / r['ours_cached']:>5.1f}x | "
        f"{r['ours_warm'] * 1000:>6.1f}ms {r['dvc_warm'] / r['ours_warm']:>5.0f}x",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", help="default: 10 100 500 2000")
    parser.add_argument("--history", type=int, nargs="*", default=[], metavar="COMMITS",
                        help="`-A` over histories of this many commits")  # fmt: skip
    parser.add_argument("--per-commit", type=int, default=3, help="experiments per commit")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = args.sizes if args.sizes is not None else [] if args.history else [10, 100, 500, 2000]
    compileall.compile_dir(ROOT / "tui", quiet=1)
    with tempfile.TemporaryDirectory(prefix="catdog-listing-") as scratch:
        if sizes:
            print("dvc exp show --json  against  catdog-tui ls --json; one baseline")
            _header("experiments")
            for size in sizes:
                root = make_repo(Path(scratch) / f"n{size}", size)
                _line(size, measure(root, size + 2, args.repeats))
        if args.history:
            print(
                "dvc exp show -A --json  against  catdog-tui ls -A --json; "
                f"{args.per_commit} experiments per commit, a tag every 50, a side branch"
            )
            _header("commits")
            for commits in args.history:
                root = Path(scratch) / f"h{commits}"
                rows = make_history(root, commits, args.per_commit)
                _line(commits, measure(root, rows, args.repeats, all_commits=True))


if __name__ == "__main__":
    main()
