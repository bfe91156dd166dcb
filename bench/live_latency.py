"""Live latency: from a DVCLive TSV line appended on disk to the backend having it.

Measures, for inotify and for polling, the time from `write()` of a new row to (a) the
watcher's change event and (b) that row parsed by the LiveDir reader. The anchor is what the
VS Code extension does per refresh: `dvc exp show --json` then `dvc plots diff --json`, timed on
a repository with a few experiments.

    python bench/live_latency.py --samples 200
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fixtures import make_repo  # noqa: E402
from tui.backend.live import LiveDir  # noqa: E402
from tui.backend.watch import Watcher, WatchMode  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(kind: str, samples: int, folder: Path) -> tuple[list[float], list[float]]:
    """Seconds to the change event, and to the parsed point, per appended row."""
    live = folder / "dvclive"
    tsv = live / "plots" / "metrics" / "train" / "loss.tsv"
    tsv.parent.mkdir(parents=True, exist_ok=True)
    tsv.write_text("timestamp\tstep\tloss\n")
    reader = LiveDir(live)
    reader.poll()
    watcher = Watcher([live], WatchMode(kind, "benchmark"))  # type: ignore[arg-type]
    to_event: list[float] = []
    to_point: list[float] = []
    written = threading.Event()
    seen = threading.Event()
    sent_at = [0.0]
    expected = [0]

    def consume() -> None:
        for _ in watcher.changes():
            if not written.is_set():
                continue
            event_at = time.perf_counter()
            reader.poll()
            series = reader.series().get("train/loss")
            if series is not None and len(series.steps) >= expected[0]:
                done = time.perf_counter()
                to_event.append(event_at - sent_at[0])
                to_point.append(done - sent_at[0])
                written.clear()
                seen.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(1.0)  # the first scan of a poller
    for step in range(samples):
        seen.clear()
        expected[0] = step + 1
        with tsv.open("a") as handle:
            sent_at[0] = time.perf_counter()
            written.set()
            handle.write(f"{int(time.time() * 1000)}\t{step}\t{1 / (step + 1)}\n")
        seen.wait(timeout=5)
        time.sleep(0.02)
    watcher.stop()
    return to_event, to_point


def anchor(repeats: int) -> float:
    """Median seconds of one VS Code extension refresh on a repository of 5 experiments."""
    with tempfile.TemporaryDirectory(prefix="catdog-anchor-") as scratch:
        root = make_repo(Path(scratch) / "repo", 5)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            for command in (["exp", "show", "--json"], ["plots", "diff", "--json"]):
                subprocess.run(
                    [str(BIN / "dvc"), *command], cwd=root, env=ENV, check=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            times.append(time.perf_counter() - started)
        return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="rows appended (inotify)")
    parser.add_argument("--polling-samples", type=int, default=40, help="rows appended (polling)")
    parser.add_argument("--anchor-repeats", type=int, default=5)
    args = parser.parse_args()
    for kind, samples in (("inotify", args.samples), ("polling", args.polling_samples)):
        with tempfile.TemporaryDirectory(prefix="catdog-live-") as scratch:
            events, points = latency(kind, samples, Path(scratch))
        print(
            f"{kind:<8} {len(points)}/{samples} rows seen; to event p50 "
            f"{statistics.median(events) * 1000:.1f} ms "
            f"p95 {_percentile(events, 0.95) * 1000:.1f} ms;"
            f" to parsed point p50 {statistics.median(points) * 1000:.1f} ms "
            f"p95 {_percentile(points, 0.95) * 1000:.1f} ms",
            flush=True,
        )
    refresh = anchor(args.anchor_repeats)
    print(f"anchor   dvc exp show --json + dvc plots diff --json: {refresh:.2f} s per refresh")


if __name__ == "__main__":
    main()
