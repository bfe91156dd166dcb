"""The app's budgets at many experiments with a real run going: CPU, keys, start-up, live
lines, a 100 MB TSV.

A generated repository (`bench/fixtures.py`: one baseline, N experiments) gets a stage that
logs with DVCLive every half second, and a real `dvc exp run` of it in the workspace. The app
runs in this process under Textual's test driver (a real event loop and screen; the headless
driver writes nothing, so every paint is also encoded as a terminal would be sent it, see
`Probe`). Each figure:

- CPU: the process's CPU time (all threads) over windows of `--window` seconds in which the
  bench only sleeps; idle (nothing changes on disk) and while the run goes (the running
  experiment highlighted, its charts live). Split into the event loop's thread and the others
  (`/proc/self/task`).
- key to screen: `j`/`k` sent through the driver, as a terminal's would be, timed to the first
  paint with the cursor on its new row; and, for information, to the first paint of the charts
  of the newly highlighted experiment. A random 50-250 ms gap between keys.
- start to a painted table: a new process; from `CatdogApp(Backend.discover())` to the first
  paint of a table holding the rows (imports apart). Cold: our value cache deleted first.
- line to chart: a row appended to a DVCLive TSV of the running experiment (`probe.tsv`
  beside the run's own), timed from `write()` to the first paint of a chart drawn with it;
  and the run's own rows (`train/loss.tsv`), from DVCLive's timestamp to that paint.
- 100 MB TSV: a new process charts a DVCLive TSV of 100 MB, on disk in the workspace or in an
  experiment's commit; seconds to the chart painted, and the process's peak RSS.

Also printed: what one refresh costs, each part timed alone on the idle app. `--without`
switches costs off in this process (monkeypatched, never in the app's files) to measure what
each is worth; `--parts` picks what to measure; `--profile DIR` samples one more window per
state with py-spy (installed separately).

    python bench/app_budgets.py --experiments 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "DVC_NO_ANALYTICS": "1",
    "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    "PYTHONPATH": str(ROOT),
    "GIT_AUTHOR_NAME": "catdog bench",
    "GIT_AUTHOR_EMAIL": "bench@catdog.invalid",
    "GIT_COMMITTER_NAME": "catdog bench",
    "GIT_COMMITTER_EMAIL": "bench@catdog.invalid",
}
SIZE = (120, 40)
TSV = "dvclive/plots/metrics/train/loss.tsv"
PROBE = "dvclive/plots/metrics/probe.tsv"

STAGE = """\
import os
import time

from dvclive import Live

# catdog bench: a run that logs slowly, as training does, without TensorFlow.
every = float(os.environ.get("CATDOG_BENCH_STEP_S", "0.5"))
with Live(dir="dvclive", dvcyaml=None, save_dvc_exp=True) as live:
    for step in range(int(os.environ.get("CATDOG_BENCH_STEPS", "100000"))):
        live.log_metric("train/loss", 1 / (step + 1), timestamp=True)
        live.log_metric("train/accuracy", 1 - 1 / (step + 2), timestamp=True)
        live.log_metric("eval/loss", 1.1 / (step + 1), timestamp=True)
        live.log_metric("eval/accuracy", 1 - 1.1 / (step + 2), timestamp=True)
        live.next_step()
        time.sleep(every)
"""


# Figures ---------------------------------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else math.nan


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def peak_mb() -> float:
    """This process's peak RSS (VmHWM), MB. Not `ru_maxrss`: on Linux a child's starts at
    what its parent's was when it forked, so it would report the bench's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def thread_ticks() -> dict[int, int]:
    """utime + stime of every thread of this process, in clock ticks, by thread id."""
    ticks = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[int(task.name)] = int(fields[11]) + int(fields[12])
    return ticks


# The app, probed ---------------------------------------------------------------------------


class Probe:
    """Hooks on one app: every paint of the screen, and the charts handed to the chart grid.

    `app._display` is what a screen calls with each update; the headless driver throws the
    update away unencoded, so the hook encodes it (`render_segments`), as the app does for a
    real terminal: the CPU figures include that cost. A waiter resolves at the first paint
    where its condition holds; a chart waiter at the first paint after a draw of charts that
    satisfied its predicate.
    """

    def __init__(self, app: Any, encode: bool = True) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.paints = 0
        self.waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        self.chart_waiters: list[list[Any]] = []
        self.steps_shown: list[tuple[int, int]] = []
        """(last step of `track`, the grid's draw count before the draw) per show."""
        self.track: str | None = None
        self.painted_steps: dict[int, float] = {}
        """Step of the tracked series to the wall time (time.time) of its first paint."""
        self.tracked_since = math.inf
        self._last_step = -1
        self._grid: Any = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if encode and app.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            self.paints += 1
            self._painted(time.perf_counter())

        app._display = display

    def _hook_grid(self) -> Any:
        if self._grid is None:
            from textual.css.query import NoMatches

            try:
                grid = self.app.charts
            except NoMatches:
                return None
            show = grid.show

            def shown(charts: list[Any]) -> None:
                for waiter in self.chart_waiters:
                    if waiter[1] is None and waiter[0](charts):
                        waiter[1] = grid.drawn
                if self.track is not None:
                    last = max(
                        (int(series.steps[-1]) for chart in charts if chart.title == self.track
                         for _, _, series in chart.curves if len(series.steps)),
                        default=-1,
                    )  # fmt: skip
                    self.steps_shown.append((last, grid.drawn))
                show(charts)

            grid.show = shown
            self._grid = grid
        return self._grid

    def _painted(self, now: float) -> None:
        for waiter in list(self.waiters):
            condition, future = waiter
            if future.done():
                self.waiters.remove(waiter)
            elif condition():
                future.set_result(now)
                self.waiters.remove(waiter)
        grid = self._hook_grid()
        if grid is None:
            return
        for chart_waiter in list(self.chart_waiters):
            _, marker, chart_future = chart_waiter
            if chart_future.done():
                self.chart_waiters.remove(chart_waiter)
            elif marker is not None and grid.drawn > marker:
                chart_future.set_result(now)
                self.chart_waiters.remove(chart_waiter)
        if self.steps_shown:
            wall = time.time()
            kept = []
            for last, marker in self.steps_shown:
                if grid.drawn > marker:
                    for step in range(self._last_step + 1, last + 1):
                        self.painted_steps.setdefault(step, wall)
                    self._last_step = max(self._last_step, last)
                else:
                    kept.append((last, marker))
            self.steps_shown = kept

    def paint_when(self, condition: Callable[[], bool]) -> asyncio.Future[float]:
        """perf_counter() of the first paint at which `condition()` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((condition, future))
        return future

    def chart_when(self, predicate: Callable[[list[Any]], bool]) -> asyncio.Future[float]:
        """perf_counter() of the first paint after a draw of charts satisfying `predicate`
        (may be asked before the app runs: the grid is hooked at the first paint)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.chart_waiters.append([predicate, None, future])
        return future


async def settle(app: Any, probe: Probe, seconds: float = 2.0) -> None:
    """The first listing and charts on screen, then `seconds` more."""
    while app.listings < 1 or app.charts.drawn < 1:
        await asyncio.sleep(0.02)
    await asyncio.sleep(seconds)


def send_key(app: Any, key: str) -> None:
    """A key as a terminal driver delivers it."""
    from textual import events

    event = events.Key(key, key)
    event.set_sender(app)
    app._driver.send_message(event)


def counters(app: Any, probe: Probe) -> dict[str, int]:
    return {
        "paints": probe.paints,
        "listings": app.listings,
        "table rebuilds": app.table.rebuilds,
        "charts drawn": app.charts.drawn,
    }


async def cpu_windows(app: Any, probe: Probe, windows: int, seconds: float) -> list[dict[str, Any]]:
    """Per window: % of one core (all threads), the event loop thread's share, counters."""
    results = []
    main_thread = os.getpid()
    hertz = os.sysconf("SC_CLK_TCK")
    for _ in range(windows):
        before, ticks, wall = counters(app, probe), thread_ticks(), time.perf_counter()
        cpu = time.process_time()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after, ticks_after = counters(app, probe), thread_ticks()
        loop_s = (ticks_after.get(main_thread, 0) - ticks.get(main_thread, 0)) / hertz
        results.append({
            "cpu_pct": 100 * cpu / wall,
            "loop_pct": 100 * loop_s / wall,
            "others_pct": 100 * (cpu - loop_s) / wall,
            **{name: after[name] - before[name] for name in after},
        })  # fmt: skip
    return results


async def profile_window(path: Path, seconds: float) -> None:
    """One more window, sampled by py-spy (every thread, busy samples only): collapsed
    stacks, one line per stack with its sample count, written to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        str(BIN / "py-spy"), "record", "--pid", str(os.getpid()), "--duration",
        str(int(seconds)), "--rate", "200", "--threads", "--nonblocking", "--format", "raw",
        "--output", str(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await spy.wait()


async def costs(app: Any, probe: Probe, repeats: int = 7) -> dict[str, float]:
    """Milliseconds of what one refresh does, each timed alone on the idle app (median):
    the listing worker's calls, the table layout on the event loop, and the CPU of one
    paint after one table cell changed."""
    from rich.text import Text

    from tui.app.widgets.experiments import table_layout

    def timed(call: Callable[[], object]) -> float:
        spent = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
        return 1000 * median(spent)

    backend = app.backend
    git = backend.index.git
    fresh = backend.experiments(with_runs=True)
    found = {
        "listing: experiments()": timed(lambda: backend.experiments(with_runs=True)),
        "listing: header()": timed(backend.header),
        "of which a walk of the refs": timed(lambda: git._ref_files.all()),
        "loop: rows == rows": timed(lambda: fresh == app.view.rows),
        "loop: table_layout(), first time": timed(lambda: table_layout(app.view)),
        "loop: table.show() of an equal listing": timed(lambda: app.table.show(app.view)),
    }
    key = row_keys(app)[0]

    async def paint_cpu(change: Callable[[int], object]) -> float:
        paints = []
        for index in range(repeats):
            painted = probe.paint_when(lambda: True)
            cpu = time.process_time()
            change(index)
            await asyncio.wait_for(painted, 5)
            paints.append(time.process_time() - cpu)
            await asyncio.sleep(0.2)
        return 1000 * median(paints)

    found["loop: a paint after update_cell (CPU)"] = await paint_cpu(
        lambda index: app.table.update_cell(key, "rev", Text(f"-{index}"))
    )
    found["loop: a paint after set_cells, one cell (CPU)"] = await paint_cpu(
        lambda index: app.table.set_cells([(key, "rev", Text(f"+{index}"))])
    )
    return found


def row_keys(app: Any) -> list[str]:
    layout = app.table.layout_shown
    return [key for key, _ in layout.rows] if layout is not None else []


async def key_latencies(
    app: Any, probe: Probe, presses: int, start_row: int, rng: random.Random
) -> tuple[list[float], list[float], int]:
    """Seconds from a key to the cursor painted on its new row, and to the new row's charts
    painted; down `presses // 2` rows from `start_row`, then back up."""

    def moved_from(before: int) -> Callable[[], bool]:
        return lambda: bool(app.table.cursor_row != before)

    def show(label: str | None) -> Callable[[list[Any]], bool]:
        return lambda charts: any(c[0] == label for ch in charts for c in ch.curves)

    app.table.move_cursor(row=start_row)
    await asyncio.sleep(1.0)
    to_screen, to_charts, missed = [], [], 0
    down = min(presses // 2, len(row_keys(app)) - start_row - 1)
    keys = ["j"] * down + ["k"] * down
    for key in keys:
        before = app.table.cursor_row
        target = before + (1 if key == "j" else -1)
        row = app.table.rows_by_key.get(row_keys(app)[target])
        label = row.label if row is not None else None
        screen = probe.paint_when(moved_from(before))
        charts = probe.chart_when(show(label))
        sent = time.perf_counter()
        send_key(app, key)
        try:
            to_screen.append(await asyncio.wait_for(screen, 5) - sent)
        except TimeoutError:
            missed += 1
        try:
            to_charts.append(await asyncio.wait_for(charts, 3) - sent)
        except TimeoutError:
            missed += 1
        await asyncio.sleep(rng.uniform(0.05, 0.25))
    return to_screen, to_charts, missed


async def line_latencies(
    app: Any, probe: Probe, root: Path, lines: int, rng: random.Random
) -> tuple[list[float], int]:
    """Seconds from a row written to the running experiment's `probe.tsv` to the first paint
    of a chart drawn with it."""
    path = root / PROBE
    path.write_text("timestamp\tstep\tprobe\n")
    await asyncio.sleep(1.0)
    latencies, missed = [], 0
    for step in range(lines):
        value = round(0.5 + step / 1000, 6)

        def drawn(charts: list[Any], step: int = step, value: float = value) -> bool:
            return any(
                chart.title == "probe" and len(series.steps) and int(series.steps[-1]) == step
                and float(series.values[-1]) == value
                for chart in charts for _, _, series in chart.curves
            )  # fmt: skip

        painted = probe.chart_when(drawn)
        with path.open("a") as handle:
            written = time.perf_counter()
            handle.write(f"{int(time.time() * 1000)}\t{step}\t{value}\n")
        try:
            latencies.append(await asyncio.wait_for(painted, 5) - written)
        except TimeoutError:
            missed += 1
        await asyncio.sleep(rng.uniform(0.05, 0.3))
    return latencies, missed


def dvclive_latencies(root: Path, painted: dict[int, float], since: float) -> list[float]:
    """DVCLive's own rows written after `since`: from each row's timestamp (ms) to the
    first paint showing it."""
    found = []
    lines = (root / TSV).read_text().splitlines()
    header = lines[0].split("\t")
    at, step_at = header.index("timestamp"), header.index("step")
    for line in lines[1:]:
        fields = line.split("\t")
        step = int(fields[step_at])
        written = int(fields[at]) / 1000
        if step in painted and written > since:
            found.append(painted[step] - written)
    return found


async def session(
    root: Path, args: argparse.Namespace, running: bool, rng: random.Random
) -> dict[str, Any]:
    """One app in this process: CPU windows, keys, and (while running) lines to charts."""
    from tui.app.app import CatdogApp
    from tui.backend.service import Backend

    app = CatdogApp(Backend.discover(root))
    probe = Probe(app)
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE):
        await settle(app, probe)
        if running:
            while not any(row.status == "running" for row in app.view.rows):
                await asyncio.sleep(0.05)
            keys = row_keys(app)
            index = next(i for i, key in enumerate(keys)
                         if app.table.rows_by_key[key].status == "running")  # fmt: skip
            app.table.move_cursor(row=index)
            probe.track, probe.tracked_since = "train/loss", time.time()
            await asyncio.sleep(2.0)
        out["cpu"] = await cpu_windows(app, probe, args.windows, args.window)
        if not running:
            out["costs"] = await costs(app, probe)
        if args.profile:
            await profile_window(
                args.profile / f"{'running' if running else 'idle'}.txt", args.window
            )
        if running:
            out["lines"], out["lines_missed"] = await line_latencies(
                app, probe, root, args.lines, rng
            )
            probe.track = None
            out["dvclive"] = dvclive_latencies(root, probe.painted_steps, probe.tracked_since)
        # Keys walk committed experiments (rows 3 onwards), which all have charts.
        screen, charts, missed = await key_latencies(app, probe, args.keys, 3, rng)
        out["keys"], out["keys_charts"], out["keys_missed"] = screen, charts, missed
    return out


# Start-up and the big TSV, each in a new process ------------------------------------------

STARTUP = """
import time
started = time.perf_counter()
import asyncio, json, sys
from bench.app_budgets import Probe, SIZE, peak_mb
from tui.app.app import CatdogApp
from tui.backend.service import Backend
imported = time.perf_counter()

async def main():
    begun = time.perf_counter()
    app = CatdogApp(Backend.discover())
    probe = Probe(app)
    async def measure():
        table = probe.paint_when(
            lambda: app.listings >= 1 and bool(app.view.rows) and app.table.row_count > 0
        )
        async with app.run_test(size=SIZE):
            painted = await asyncio.wait_for(table, 120)
            rows = app.table.row_count
        return painted, rows
    painted, rows = await measure()
    print(json.dumps({"imports": imported - started, "painted": painted - begun, "rows": rows,
                      "rss_mb": peak_mb()}))

asyncio.run(main())
"""

BIG = """
import time
import asyncio, json, sys
from bench.app_budgets import Probe, SIZE, peak_mb, row_keys
from tui.app.app import CatdogApp
from tui.backend.service import Backend
at_start = peak_mb()
key, last_step = sys.argv[1], int(sys.argv[2])

def drawn(charts):
    return any(chart.title == "train/loss" and len(series.steps)
               and int(series.steps[-1]) == last_step
               for chart in charts for _, _, series in chart.curves)

async def main():
    begun = time.perf_counter()
    app = CatdogApp(Backend.discover())
    probe = Probe(app)
    charted = probe.chart_when(drawn)
    async with app.run_test(size=SIZE):
        while app.listings < 1 or app.charts.drawn < 1:
            await asyncio.sleep(0.01)
        listed = time.perf_counter() - begun
        if key != "workspace":
            begun = time.perf_counter()
            app.table.move_cursor(row=row_keys(app).index(key))
        painted = await asyncio.wait_for(charted, 120)
        points = max(len(series.steps) for chart in app.charts.charts
                     for _, _, series in chart.curves if chart.title == "train/loss")
    print(json.dumps({"seconds": painted - begun, "listed": listed, "at_start_mb": at_start,
                      "points": points,
                      "rss_mb": peak_mb()}))

asyncio.run(main())
"""


def in_new_process(script: str, root: Path, *argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=root, env=ENV, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"the app failed in a new process:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def startups(root: Path, count: int, cold: bool) -> list[dict[str, Any]]:
    found = []
    for _ in range(count):
        if cold:
            subprocess.run(["rm", "-rf", str(root / ".dvc" / "tmp" / "catdog-tui" / "cache")],
                           check=True)  # fmt: skip
        found.append(in_new_process(STARTUP, root))
    return found


def big_tsv(root: Path, megabytes: float) -> dict[str, dict[str, Any]]:
    """A TSV of `megabytes` on disk in the workspace, then in an experiment's commit."""
    import pygit2

    from bench.big_tsv import write_tsv

    results = {}
    workspace = root / TSV
    kept = workspace.read_bytes() if workspace.exists() else None
    rows = write_tsv(workspace, megabytes)
    results["workspace"] = in_new_process(BIG, root, "workspace", str(rows - 1))
    repo = pygit2.Repository(str(root))
    blob = repo.create_blob_fromdisk(str(workspace))
    if kept is None:
        workspace.unlink()
    else:
        workspace.write_bytes(kept)
    head = repo.head.peel(pygit2.Commit)
    index = pygit2.Index()
    index.read_tree(head.tree)
    index.add(pygit2.IndexEntry(TSV, blob, pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(repo)
    now = int(time.time())
    signature = pygit2.Signature("catdog bench", "bench@catdog.invalid", now, 0)
    commit = repo.create_commit(None, signature, signature, "big", tree, [head.id])
    baseline = str(head.id)
    repo.references.create(f"refs/exps/{baseline[:2]}/{baseline[2:]}/exp-big", commit)
    results["committed"] = in_new_process(BIG, root, f"{baseline}:exp-big", str(rows - 1))
    return results


# The run -----------------------------------------------------------------------------------


@contextmanager
def workspace_run(root: Path, step_s: float) -> Iterator[subprocess.Popen[bytes]]:
    """A real `dvc exp run` in the workspace of the slow DVCLive stage, in its own process
    group, stopped (the whole group) on the way out."""
    (root / "train.py").write_text(STAGE)
    log = (root.parent / "run.log").open("wb")
    run = subprocess.Popen(
        [str(BIN / "dvc"), "exp", "run"], cwd=root, stdout=log, stderr=subprocess.STDOUT,
        env={**ENV, "CATDOG_BENCH_STEP_S": str(step_s)}, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (root / TSV).exists() or (root / TSV).read_text().count("\n") < 3:
            if run.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the run did not start: see {root.parent / 'run.log'}")
            time.sleep(0.1)
        yield run
    finally:
        stop_group(run)
        log.close()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to the group (DVC cleans up), then SIGKILL to whatever of it is left."""
    group = process.pid
    for sig, wait in (
        (signal.SIGINT, 15.0),
        (signal.SIGTERM, 5.0),
        (signal.SIGKILL, 5.0),
    ):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
    process.wait(timeout=5)


# What-ifs: costs switched off in this process, to measure what each is worth ---------------

WITHOUT = {
    "spinner": "running rows' spinner not advanced (ExperimentsTable.spin does nothing)",
    "header-refresh": "Backend.header() reuses the refs the listing just read (no 2nd walk)",
    "table-redraw": "a listing does not lay the table out again (CatdogApp._redraw_table only "
    "updates the details line): the most an incremental layout could save",
}


def switch_off(names: Sequence[str]) -> None:
    """Monkeypatch this process's app for the `--without` what-ifs (never the app's files)."""
    from tui.app.app import CatdogApp
    from tui.app.widgets.experiments import ExperimentsTable
    from tui.backend.service import Backend, Header

    for name in names:
        if name == "spinner":
            ExperimentsTable.spin = lambda self, frame: None  # type: ignore[method-assign]
        elif name == "header-refresh":

            def header(self: Backend) -> Header:
                with self._listing_lock:
                    git = self.index.git
                    return Header(self.repo.root.name, git.branch(), git.head())

            Backend.header = header  # type: ignore[method-assign]
        elif name == "table-redraw":

            def redraw(self: CatdogApp) -> None:
                if self.table.layout_shown is None or self.table.row_count == 0:
                    self.table.show(self.view, self.frame // 2)
                self._show_details(self.table.highlighted)

            CatdogApp._redraw_table = redraw  # type: ignore[method-assign]
        else:
            raise SystemExit(f"--without {name}: one of {', '.join(WITHOUT)}")


# Report ------------------------------------------------------------------------------------


def report(figures: dict[str, Any], experiments: int) -> list[tuple[str, str, str, str]]:
    """(what, measured, budget, met) rows."""
    rows: list[tuple[str, str, str, str]] = []

    def add(what: str, measured: str, budget: str, met: bool | None) -> None:
        rows.append(
            (
                what,
                measured,
                budget,
                "-" if met is None else ("met" if met else "MISSED"),
            )
        )

    states = [(s, n) for s, n in (("running", "run going"), ("idle", "idle")) if s in figures]
    for state, name in states:
        windows = figures[state]["cpu"]
        cpu = [w["cpu_pct"] for w in windows]
        loop = [w["loop_pct"] for w in windows]
        budget = 15.0 if state == "running" else 2.0
        listings = sum(w["listings"] for w in windows) / (len(windows) * figures["window"])
        add(f"app CPU, {name} (% of a core)",
            f"median {median(cpu):.1f}  max {max(cpu):.1f}  (event loop {median(loop):.1f}; "
            f"{listings:.1f} listings/s)", f"< {budget:g}", median(cpu) < budget)  # fmt: skip
    for state, name in states:
        if not figures[state]["keys"]:
            continue
        keys = [1000 * s for s in figures[state]["keys"]]
        missed = figures[state]["keys_missed"]
        add(f"key to screen, {name}",
            f"p50 {median(keys):.0f} ms  p95 {p95(keys):.0f} ms  (n={len(keys)}"
            + (f", {missed} timed out)" if missed else ")"),
            "p95 < 100 ms", p95(keys) < 100)  # fmt: skip
        charts = [1000 * s for s in figures[state]["keys_charts"]]
        add(f"key to new row's charts, {name}",
            f"p50 {median(charts):.0f} ms  p95 {p95(charts):.0f} ms", "-", None)  # fmt: skip
    for name, part in (("warm", "startup_warm"), ("cold", "startup_cold"),
                       ("warm, run going", "startup_running")):  # fmt: skip
        samples = figures.get(part)
        if not samples:
            continue
        painted = [s["painted"] for s in samples]
        imports = median([s["imports"] for s in samples])
        add(f"start to painted table, {name}",
            f"median {median(painted):.2f} s  max {max(painted):.2f} s  (+{imports:.2f} s imports)",
            "< 1 s", median(painted) < 1.0)  # fmt: skip
    for mode, big in figures.get("big", {}).items():
        size = f"{figures['mb']:g} MB TSV, {mode}"
        add(f"{size}: to chart", f"{big['seconds']:.2f} s ({big['points']} points)",
            "seconds (< 10 s)", big["seconds"] < 10)  # fmt: skip
        add(f"{size}: peak RSS",
            f"{big['rss_mb']:.0f} MB (after imports {big['at_start_mb']:.0f} MB)", "< 300 MB",
            big["rss_mb"] < 300)  # fmt: skip
    if "running" not in figures:
        return rows
    lines = [1000 * s for s in figures["running"]["lines"]] or [math.nan]
    add("line on disk to chart (probe.tsv)",
        f"p50 {median(lines):.0f} ms  p95 {p95(lines):.0f} ms  (n={len(lines)}"
        + (f", {figures['running']['lines_missed']} timed out)"
           if figures["running"]["lines_missed"] else ")"),
        "p95 < 150 ms", p95(lines) < 150)  # fmt: skip
    own = [1000 * s for s in figures["running"]["dvclive"]]
    if own:
        add("DVCLive's own rows to chart",
            f"p50 {median(own):.0f} ms  p95 {p95(own):.0f} ms  (n={len(own)})",
            "p95 < 150 ms", p95(own) < 150)  # fmt: skip
    return rows


def print_table(rows: list[tuple[str, str, str, str]], experiments: int) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print(f"\n{experiments} experiments, one run going where it says so")
    header = ("budget", "measured", "budget", "")
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2000)
    parser.add_argument("--windows", type=int, default=3, help="CPU windows per state")
    parser.add_argument("--window", type=float, default=20.0, help="seconds per CPU window")
    parser.add_argument("--keys", type=int, default=100, help="key presses per state")
    parser.add_argument("--lines", type=int, default=100, help="probe rows while running")
    parser.add_argument("--startups", type=int, default=5, help="new processes per case")
    parser.add_argument("--step", type=float, default=0.5, help="seconds between DVCLive steps")
    parser.add_argument("--mb", type=float, default=100.0, help="the big TSV; 0 skips it")
    parser.add_argument("--json", type=Path, help="write every sample here")
    parser.add_argument(
        "--parts",
        default="startup,idle,running,big",
        help="what to measure, of startup, idle, running, big",
    )
    parser.add_argument("--without", default="", help=f"what-ifs, of {', '.join(WITHOUT)}")
    parser.add_argument("--profile", type=Path,
                        help="a folder: one more CPU window per state under py-spy")  # fmt: skip
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.update(ENV)
    from bench.fixtures import make_repo

    parts = set(args.parts.split(","))
    without = [name for name in args.without.split(",") if name]
    switch_off(without)
    rng = random.Random(1)
    figures: dict[str, Any] = {
        "load": [os.getloadavg()],
        "window": args.window,
        "mb": args.mb,
    }
    with tempfile.TemporaryDirectory(prefix="catdog-budgets-") as scratch:
        root = make_repo(Path(scratch) / "repo", args.experiments)
        (root / "train.py").write_text(STAGE)
        print(f"{args.experiments} experiments in {root}", flush=True)
        if "startup" in parts:
            figures["startup_cold"] = startups(root, max(1, args.startups // 2), cold=True)
            figures["startup_warm"] = startups(root, args.startups, cold=False)
        if "idle" in parts:
            print("idle session", flush=True)
            figures["idle"] = asyncio.run(session(root, args, running=False, rng=rng))
        if "running" in parts or "startup" in parts:
            print("starting a run", flush=True)
            with workspace_run(root, args.step):
                if "startup" in parts:
                    figures["startup_running"] = startups(root, args.startups, cold=False)
                if "running" in parts:
                    figures["running"] = asyncio.run(session(root, args, running=True, rng=rng))
            print("run stopped", flush=True)
        if "big" in parts and args.mb:
            figures["big"] = big_tsv(root, args.mb)
    figures["load"].append(os.getloadavg())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    for state in ("idle", "running"):
        for window in figures.get(state, {}).get("cpu", []):
            print(f"{state:8} " + "  ".join(
                f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in window.items()
            ))  # fmt: skip
    print_table(report(figures, args.experiments), args.experiments)
    if "idle" in figures:
        print("\nwhat one refresh costs, each alone on the idle app (ms, median of 7):")
        for what, spent in figures["idle"]["costs"].items():
            print(f"  {what:45} {spent:7.1f}")
    for name in without:
        print(f"without {name}: {WITHOUT[name]}")
    load = ", ".join(" ".join(f"{x:.2f}" for x in each) for each in figures["load"])
    print(f"load average (1, 5, 15 min) at the start, at the end: {load}")


if __name__ == "__main__":
    main()
