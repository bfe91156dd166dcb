"""The `catdog-tui` command line: the headless face of the backend. It parses and prints only."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tui import __version__
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment, ExperimentIndex
from tui.backend.repo import find_repo

# `ls` starts a new process each time, and imports were most of its time: what only the other
# commands need (the Backend, the table's layout, signals and threads) is imported where it is
# used. Not even typing's TYPE_CHECKING: importing typing costs 3 ms (see backend/record.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tui.app.chart_view import ChartView
    from tui.backend.service import Backend

    Handler = Callable[[Backend, argparse.Namespace], int]


def _table(rows: list[Experiment], now: float) -> str:
    from tui.display import cell, columns, flat_values, status_text

    # Params that differ between rows say what each experiment is; the rest is noise here.
    metric_keys, param_keys = columns(rows, only_changed=True)
    header = ["Experiment", "rev", "status", "created", *metric_keys, *param_keys]
    lines = [header]
    for row in rows:
        name = row.label if row.kind != "experiment" else f"├── {row.label}"
        if row.kind == "workspace":
            name = "workspace"
        values = flat_values(row)
        lines.append(
            [
                name,
                row.rev[:7] if row.rev != "workspace" else "-",
                status_text(row, now),
                row.created.strftime("%b %d %H:%M") if row.created else "-",
                *(cell(values.get(k)) for k in (*metric_keys, *param_keys)),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _remote_table(rows: list[Experiment], _now: float) -> str:
    lines = [["Experiment", "rev", "baseline", "status", "created"]]
    for row in rows:
        lines.append([
            row.label, row.rev[:7], (row.baseline or "-")[:7], row.status,
            row.created.strftime("%b %d %H:%M") if row.created else "-",
        ])  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _print_rows(
    rows: list[Experiment], args: argparse.Namespace, table: Callable[..., str]
) -> None:
    now = time.time()  # a running row's time left, as it is when printed
    if args.json:
        # Indented for a person; compact (and several times faster to encode) for a pipe.
        indent = 2 if sys.stdout.isatty() else None
        print(json.dumps([row.as_json(now) for row in rows], indent=indent, default=str))
    else:
        print(table(rows, now))


def cmd_ls(_backend: None, args: argparse.Namespace) -> int:
    """List experiments."""
    if args.remote is not None:
        from tui.backend.service import Backend

        backend = Backend.discover(Path(args.directory) if args.directory else None)
        rows = backend.remote_experiments(args.remote)
        if not rows and not args.json:
            print(f"{args.remote} has no experiment that is not here", file=sys.stderr)
            return 0
        _print_rows(rows, args, _remote_table)
        return 0
    # What Backend.experiments lists (it adds a lock), without importing service.py and what
    # it imports (dataclasses and inspect among them): 10 ms of every `ls`.
    repo = find_repo(Path(args.directory) if args.directory else None)
    rows = ExperimentIndex(repo).list(args.num, args.all_commits)
    if any(row.status == "running" for row in rows):
        from tui.backend.progress import EtaReader

        rows = EtaReader(repo.root).with_eta(rows)
    _print_rows(rows, args, _table)
    return 0


def _follow_run(
    backend: Backend, run_id: str, total: int | None, *, interrupted: bool = False
) -> int:
    """Print the run's epochs until it ends; Ctrl-C stops it (`interrupted`: a Ctrl-C came
    while it was being launched)."""
    import signal
    import threading
    import time

    stop_requested = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        if not stop_requested.is_set():
            stop_requested.set()
            print("stopping the run (Ctrl-C again does not kill it harder)...", file=sys.stderr)

    signal.signal(signal.SIGINT, interrupt)
    if interrupted:
        interrupt(signal.SIGINT, None)

    def stop_when_asked() -> None:
        # A Ctrl-C can come before the supervisor is up ("still starting"): ask until it hears
        # or the run has ended.
        stop_requested.wait()
        while not backend.runs.get(run_id).finished:
            try:
                backend.runs.stop(run_id)
                return
            except BackendError:
                time.sleep(0.1)

    threading.Thread(target=stop_when_asked, daemon=True).start()

    from tui.backend.follow import StepFollower
    from tui.backend.watch import Watcher

    record = backend.runs.get(run_id)
    follower = StepFollower(backend.workspace_live_dir(), total, started=record.created)
    watcher = Watcher([follower.live.path, backend.runs.run_dir(run_id)])

    # The run may end without a write under the watched folders (a crash before DVCLive
    # starts): a thread waits on its record and ends the watch.
    def stop_when_finished() -> None:
        backend.runs.wait(run_id)
        watcher.stop()

    threading.Thread(target=stop_when_finished, daemon=True).start()
    for report in follower.poll():
        print(report.line(total), flush=True)
    for _ in watcher.changes():
        for report in follower.poll():
            print(report.line(total), flush=True)
    for report in follower.poll():
        print(report.line(total), flush=True)
    record = backend.runs.get(run_id)
    name = backend.run_name(record) or record.id
    code = record.exit_code if record.exit_code is not None else 1
    print(f"{name}: {record.status} (exit code {code}); log: catdog-tui logs {name}")
    return code


def cmd_run(backend: Backend, args: argparse.Namespace) -> int:
    """Start (or queue) an experiment."""
    set_params = args.set_param or []
    if args.queue:
        output = backend.queue(set_params, name=args.name)
        print(output.strip() or "queued")
        print("start workers with: catdog-tui queue start -j N")
        return 0
    if args.detach:
        record = backend.start_run(set_params, name=args.name)
        print(f"started run {record.id}; follow it with: catdog-tui logs {record.id} --follow")
        return 0
    import signal

    # From the moment the run exists a Ctrl-C must stop it: one during the launch is kept.
    early: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: early.append(signum))
    record = backend.start_run(set_params, name=args.name)
    print(f"started run {record.id} (Ctrl-C stops it; closing the terminal does not)", flush=True)
    return _follow_run(backend, record.id, backend.total_steps(set_params), interrupted=bool(early))


def cmd_logs(backend: Backend, args: argparse.Namespace) -> int:
    """Print a run's log."""
    path = backend.log_path(args.experiment)
    if not args.follow:
        sys.stdout.write(path.read_text(errors="replace"))
        return 0
    target = backend.resolve(args.experiment)

    def finished() -> bool:
        if target.run is not None:
            return backend.runs.get(target.run.id).finished
        if target.experiment is not None:
            # A queued run: done once the listing no longer shows it running.
            rev = target.experiment.rev
            return all(r.rev != rev or r.status != "running" for r in backend.experiments())
        return True

    from tui.backend.runs import follow_lines

    for line in follow_lines(path, done=finished):
        print(line, flush=True)
    return 0


def cmd_stop(backend: Backend, args: argparse.Namespace) -> int:
    """Stop a run."""
    print(backend.stop(args.experiment))
    return 0


def cmd_remove(backend: Backend, args: argparse.Namespace) -> int:
    """Remove experiments."""
    print(backend.remove(args.experiments))
    return 0


def cmd_push(backend: Backend, args: argparse.Namespace) -> int:
    """Push experiments to a git remote and their cached outputs to a DVC remote."""
    print(backend.push(args.experiments, args.remote, cache=not args.no_cache,
                       dvc_remote=args.dvc_remote))  # fmt: skip
    return 0


def cmd_pull(backend: Backend, args: argparse.Namespace) -> int:
    """Pull experiments from a git remote and their cached outputs from a DVC remote."""
    print(backend.pull(args.experiments, args.remote, cache=not args.no_cache,
                       dvc_remote=args.dvc_remote))  # fmt: skip
    return 0


def cmd_plots(backend: Backend, args: argparse.Namespace) -> int:
    """Write the charts of experiments to a file (CSV, JSON, SVG, PNG by its suffix)."""
    from tui.export import export_charts

    rows = []
    for name in args.experiments:
        if name == "workspace":
            rows.append(backend.experiments()[0])
            continue
        target = backend.resolve(name)
        if target.experiment is None:
            raise BackendError(f"{name} is a run DVC does not list: it has no charts to export")
        rows.append(target.experiment)
    view = _chart_view(args)
    data = backend.live_data(rows)
    charted = [(row, data[row.key]) for row in rows]
    print(export_charts(Path(args.output), charted, args.metric, view))
    return 0


def _chart_view(args: argparse.Namespace) -> ChartView:
    """The app's chart view from `--steps`, `--log-y` and `--smoothing`, checked first."""
    from tui.app.chart_view import SMOOTHING_MOST, ChartView, parse_range

    try:
        steps = parse_range(args.steps or "")
    except ValueError as error:
        raise BackendError(f"--steps: {error}") from None
    if not 0 <= args.smoothing <= SMOOTHING_MOST:
        raise BackendError(
            f"--smoothing: a weight from 0 to {SMOOTHING_MOST}, not {args.smoothing}"
        )
    return ChartView(steps, args.log_y, args.smoothing)


def cmd_apply(backend: Backend, args: argparse.Namespace) -> int:
    """Apply an experiment to the workspace."""
    print(backend.apply(args.experiment))
    return 0


def cmd_branch(backend: Backend, args: argparse.Namespace) -> int:
    """Make a branch from an experiment."""
    print(backend.branch(args.experiment, args.branch))
    return 0


def cmd_queue(backend: Backend, args: argparse.Namespace) -> int:
    """Queue workers and status."""
    if args.queue_command == "start":
        print(backend.start_workers(args.jobs).strip())
    else:
        print(backend.queue_status().rstrip())
    return 0


def _open_app(backend: Backend) -> int:
    from tui.app.app import CatdogApp

    CatdogApp(backend).run()
    return 0


def cmd_demo(_backend: Backend | None, args: argparse.Namespace) -> int:
    """Make the demo project, start its first experiment and open the app there."""
    from tui.backend.demo import make_demo
    from tui.backend.service import Backend

    repo = make_demo(Path(args.path))
    backend = Backend(repo)
    record = backend.start_run([], name="first-look")
    print(f"demo project in {repo.root}; experiment started (run {record.id})")
    if args.no_app:
        return 0
    return _open_app(backend)


def cmd_serve(_backend: None, args: argparse.Namespace) -> int:
    """Serve the app in a web page until Ctrl-C."""
    from tui.serve import serve

    root = find_repo(Path(args.directory) if args.directory else None).root
    return serve(root, args.host, args.port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `catdog-tui`."""
    parser = argparse.ArgumentParser(
        prog="catdog-tui",
        description=(
            "Run and watch DVC experiments (DVCLive metrics, plots, confusion matrices) "
            "from the terminal."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-C", dest="directory", default=None, help="run as if started in this directory"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ls = commands.add_parser("ls", help="list experiments (as `dvc exp show`, faster)")
    ls.add_argument("--json", action="store_true", help="one JSON object per row")
    ls.add_argument("-n", "--num", type=int, default=1, help="baseline commits to show")
    ls.add_argument("-A", "--all-commits", action="store_true", help="experiments of all commits")
    ls.add_argument(
        "--remote", metavar="NAME",
        help="instead: the experiments git remote NAME has and this repository does not",
    )  # fmt: skip
    ls.set_defaults(handler=cmd_ls, needs_repo=False)  # it finds the repository itself

    run = commands.add_parser("run", help="run an experiment (`dvc exp run`)")
    run.add_argument(
        "-S", "--set-param", action="append", metavar="[FILE:]KEY=VALUE",
        help="override a parameter; VALUE1,VALUE2 makes a sweep (with --queue)",
    )  # fmt: skip
    run.add_argument("--name", "-n", help="the experiment's name")
    run.add_argument("--queue", action="store_true", help="add to the queue instead of running")
    run.add_argument("--detach", "-d", action="store_true", help="start and return at once")
    run.set_defaults(handler=cmd_run)

    logs = commands.add_parser("logs", help="print a run's log")
    logs.add_argument("experiment", metavar="EXP")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing as it grows")
    logs.set_defaults(handler=cmd_logs)

    stop = commands.add_parser("stop", help="stop a running or queued experiment")
    stop.add_argument("experiment", metavar="EXP")
    stop.set_defaults(handler=cmd_stop)

    remove = commands.add_parser("remove", help="remove experiments")
    remove.add_argument("experiments", metavar="EXP", nargs="+")
    remove.set_defaults(handler=cmd_remove)

    for verb, direction, text in (
        ("push", "to", "send experiments to a git remote (`dvc exp push`)"),
        ("pull", "from", "fetch experiments from a git remote (`dvc exp pull`)"),
    ):
        share = commands.add_parser(verb, help=text)
        share.add_argument("experiments", metavar="EXP", nargs="+")
        share.add_argument(
            "--remote",
            metavar="NAME",
            help=f"the git remote to {verb} {direction} (default: origin)",
        )
        share.add_argument(
            "--dvc-remote", metavar="NAME",
            help="the DVC remote for the cached outputs (default: DVC's default remote)",
        )  # fmt: skip
        share.add_argument(
            "--no-cache", action="store_true", help="move the git refs only, not cached outputs"
        )
        share.set_defaults(handler=cmd_push if verb == "push" else cmd_pull)

    plots = commands.add_parser("plots", help="the charts of experiments")
    plots_commands = plots.add_subparsers(dest="plots_command", metavar="ACTION", required=True)
    export = plots_commands.add_parser(
        "export", help="write the charts to a file: .csv, .json (the data), .svg, .png (a picture)"
    )
    export.add_argument("experiments", metavar="EXP", nargs="+",
                        help="experiment names, rev prefixes, or workspace")  # fmt: skip
    export.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="the file; its suffix says the format")  # fmt: skip
    export.add_argument(
        "--metric",
        metavar="GLOB",
        help="only the metrics that match (a glob like *loss*, or part of one)",
    )
    export.add_argument("--steps", metavar="FROM:TO",
                        help="only these steps (10:50, :20, 30:), as the app's z")  # fmt: skip
    export.add_argument("--log-y", action="store_true",
                        help="the picture's y axis on a log scale, as the app's y")  # fmt: skip
    export.add_argument(
        "--smoothing", type=float, default=0.0, metavar="WEIGHT",
        help="TensorBoard's smoothing, 0 to 0.99: the data gets a smoothed column, the "
        "picture the smoothed line",
    )  # fmt: skip
    plots.set_defaults(handler=cmd_plots)

    apply = commands.add_parser("apply", help="apply an experiment to the workspace")
    apply.add_argument("experiment", metavar="EXP")
    apply.set_defaults(handler=cmd_apply)

    branch = commands.add_parser("branch", help="make a git branch from an experiment")
    branch.add_argument("experiment", metavar="EXP")
    branch.add_argument("branch", metavar="NAME")
    branch.set_defaults(handler=cmd_branch)

    queue = commands.add_parser("queue", help="the experiment queue")
    queue_commands = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    start = queue_commands.add_parser("start", help="start queue workers")
    start.add_argument("-j", "--jobs", type=int, default=1, help="workers to start")
    queue_commands.add_parser("status", help="what the queue holds")
    queue.set_defaults(handler=cmd_queue)

    demo = commands.add_parser("demo", help="make a demo project, start a run, open the app")
    demo.add_argument("path", metavar="DIR", nargs="?", default="catdog-demo")
    demo.add_argument(
        "--no-app", action="store_true", help="only make the project and start the run"
    )
    demo.set_defaults(handler=cmd_demo, needs_repo=False)

    serve = commands.add_parser(
        "serve", help="the app in a web page (one app per browser tab), until Ctrl-C"
    )
    serve.add_argument(
        "--host", default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1: this machine only)",
    )  # fmt: skip
    serve.add_argument("--port", default="8000", help="the port to listen on (default: 8000)")
    # Only the repository's path: each browser tab's app process opens its own backend.
    serve.set_defaults(handler=cmd_serve, needs_repo=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `catdog-tui` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    try:
        if handler is not None and not getattr(args, "needs_repo", True):
            return handler(None, args)  # type: ignore[arg-type]
        from tui.backend.service import Backend

        backend = Backend.discover(Path(args.directory) if args.directory else None)
        if handler is None:
            return _open_app(backend)
        return handler(backend, args)
    except BackendError as error:
        print(f"catdog-tui: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # A file that vanished or cannot be written (a read-only checkout): one line, no trace.
        where = f": {error.filename}" if error.filename else ""
        print(f"catdog-tui: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
