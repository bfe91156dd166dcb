"""The app: start-up to a painted table, and a DVCLive line on disk to the chart showing it.

Start-up: a new process runs the app headless (Textual's test driver, a real event loop and
screen) on a generated repository with 100 experiments and reports, from its very first line
(imports included), when the table first holds every row; `dvc exp show --json` on the same
repository is the anchor. Line to chart: rows are appended to the workspace's DVCLive TSV
while the app charts the workspace; each is timed from `write()` to the chart redrawn with it.

    python bench/app_latency.py --experiments 100 --samples 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

STARTUP = """
import time
started = time.perf_counter()
import asyncio, sys
from tui.app.app import CatdogApp
from tui.backend.service import Backend

async def main():
    app = CatdogApp(Backend.discover())
    async with app.run_test(size=(120, 40)) as pilot:
        while app.table.row_count < int(sys.argv[1]) + 2:
            await pilot.pause(0.005)
        print(time.perf_counter() - started)

asyncio.run(main())
"""


def startup(root: Path, experiments: int, repeats: int) -> tuple[float, float]:
    """Median seconds to a full table (app), and of `dvc exp show --json`."""
    ours, dvc = [], []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", STARTUP, str(experiments)],
            cwd=root, env=ENV, check=False, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"the app failed to start:\n{done.stderr[-2000:]}")
        ours.append(float(done.stdout.strip().splitlines()[-1]))
        started = time.perf_counter()
        subprocess.run([str(BIN / "dvc"), "exp", "show", "--json"], cwd=root, env=ENV,
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        dvc.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(dvc)


async def line_to_chart(root: Path, samples: int) -> list[float]:
    """Seconds from a TSV row written to the chart redrawn with it, per row."""
    sys.path.insert(0, str(ROOT))
    from tui.app.app import CatdogApp
    from tui.backend.service import Backend

    tsv = root / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv"
    tsv.parent.mkdir(parents=True, exist_ok=True)
    tsv.write_text("step\tloss\n0\t1.0\n")
    app = CatdogApp(Backend.discover(root))
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.view.rows or app.charts.drawn == 0:
            await pilot.pause(0.01)
        await pilot.pause(1.0)
        for step in range(1, samples + 1):

            def shown(expected: int = step + 1) -> bool:
                data = app.live_data.get("workspace")
                series = data.series.get("train/loss") if data else None
                return series is not None and len(series.steps) >= expected

            drawn_before = app.charts.drawn
            with tsv.open("a") as handle:
                written = time.perf_counter()
                handle.write(f"{step}\t{1 / (step + 1)}\n")
            while not (shown() and app.charts.drawn > drawn_before):
                await pilot.pause(0.002)
            latencies.append(time.perf_counter() - written)
            await pilot.pause(0.05)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.fixtures import make_repo

    with tempfile.TemporaryDirectory(prefix="catdog-app-") as scratch:
        root = make_repo(Path(scratch) / "repo", args.experiments)
        ours, dvc = startup(root, args.experiments, args.repeats)
        print(
            f"start-up to a full table, {args.experiments} experiments: {ours:.2f} s "
            f"(dvc exp show --json alone: {dvc:.2f} s)"
        )
        latencies = asyncio.run(line_to_chart(root, args.samples))
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"line on disk to chart redrawn: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms over {len(latencies)} rows"
        )


if __name__ == "__main__":
    main()
