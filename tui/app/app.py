"""`catdog-tui`: experiments above, charts / confusion matrix / logs / diff below.

The app composes widgets that own their state (the table draws a `TableView`, the log panel
follows a log, the chart grid pages its charts) and routes messages between them. Every
backend call runs in a worker and comes back as a message (tui/app/messages.py). File events
set flags; a 10 Hz timer turns them into at most one listing and one chart refresh per tick,
however fast DVCLive writes. Text from outside (DVC, logs, names) is never read as markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from tui.app.chart_view import PLAIN, parse_range, range_problem
from tui.app.custom_points import chosen_axes, custom_scatter
from tui.app.messages import (
    ActionDone,
    ExperimentsLoaded,
    FilesChanged,
    LiveLoaded,
    MachineRead,
    RemoteLoaded,
    SettingsLoaded,
)
from tui.app.screens.column_picker import ColumnPicker
from tui.app.screens.dialogs import ConfirmScreen, PromptScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.params_form import FormResult, ParamsForm
from tui.app.table_state import RowFilter, TableView, with_remote
from tui.app.widgets.chart_grid import ChartGrid, charts_for, curve_charts_for
from tui.app.widgets.custom_plot import CustomPlot
from tui.app.widgets.experiments import ExperimentsTable
from tui.app.widgets.images import ImagesPanel
from tui.app.widgets.log_panel import LogPanel
from tui.app.widgets.panels import ConfusionPanel, DiffPanel
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment
from tui.backend.history import LiveData
from tui.backend.service import Backend, Header
from tui.backend.watch import RepoWatch
from tui.display import cell, error_summary, flat_values, machine_line
from tui.export import FORMATS, export_charts

TICK_S = 0.1
SPIN_EVERY = 3
"""Ticks per spinner frame (the frame also redraws a running row's time left)."""
LIVE_LISTING_S = 1.0
"""Least time between listings that only DVCLive's writes asked for."""
FIRST_LOOK_S = 0.1
"""How long the first listing reads values before it shows the rows without the rest."""
MACHINE_EVERY_S = 2.0
"""How often the machine line is read again (nvidia-smi's default is 1 s; the line is a
glance, not a monitor)."""


def _while_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """Drop a result that arrives while the app is tearing its widgets down (on quit)."""

    @functools.wraps(handler)
    def guarded(*args: Any) -> None:
        with contextlib.suppress(NoMatches):
            handler(*args)

    return guarded


def plain(text: object) -> Text:
    """Text from outside (DVC's output, logs, names): shown as it is, never as markup."""
    return Text(str(text))


class CatdogApp(App[None]):
    """The experiments of one DVC repository, live."""

    CSS_PATH = "catdog.tcss"
    TITLE = "catdog-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_select", "Select", tooltip="select or unselect the highlighted "
                "experiment for the charts, the confusion matrices and the diff"),
        Binding("r", "run", "Run", tooltip="run an experiment in the workspace with its params"),
        Binding("e", "edit_params", "Params",
                tooltip="edit params, then run or queue (a,b,c makes a grid, queued)"),
        Binding("w", "workers", "Workers", show=False, tooltip="start queue workers"),
        Binding("s", "stop", "Stop", tooltip="stop the highlighted run, or unqueue it"),
        Binding("d", "remove", "Remove", tooltip="remove the highlighted experiment (the "
                "selection, when the highlighted one is part of it)"),
        Binding("a", "apply", "Apply", show=False,
                tooltip="apply the highlighted experiment to the workspace"),
        Binding("b", "branch", "Branch", show=False,
                tooltip="make a git branch from the highlighted one"),
        Binding("slash", "filter", "Filter",
                tooltip="filter rows: words, or a comparison like eval.accuracy>0.9"),
        Binding("o", "sort", "Sort", show=False,
                tooltip="sort by the next column (again: reverse)"),
        Binding("question_mark", "help", "Help", tooltip="every key and what it does"),
        Binding("q", "quit", "Quit", tooltip="quit; runs go on and show again next time"),
        Binding("l", "show_tab('logs')", "Logs", show=False, tooltip="the highlighted run's log"),
        Binding("c", "toggle_changed", "Columns", show=False,
                tooltip="show only the params that differ, or all"),
        Binding("h", "hide_column", "Hide column", show=False,
                tooltip="hide a column by name, or show it again"),
        Binding("asterisk", "star", "Star", show=False, tooltip="star the highlighted experiment"),
        Binding("m", "metric_filter", "Metrics", show=False,
                tooltip="chart only the metrics that match a glob or substring"),
        Binding("right_square_bracket,pagedown", "chart_page(1)", "Next charts", show=False,
                tooltip="next page of charts"),
        Binding("left_square_bracket,pageup", "chart_page(-1)", "Previous charts", show=False,
                tooltip="previous page of charts"),
        Binding("1", "show_tab('plots')", "Plots", show=False, tooltip="the Plots tab"),
        Binding("2", "show_tab('confusion')", "Confusion", show=False,
                tooltip="the Confusion matrix tab"),
        Binding("3", "show_tab('logs')", "Logs tab", show=False, tooltip="the Logs tab"),
        Binding("4", "show_tab('diff')", "Diff", show=False, tooltip="the Diff tab"),
        Binding("P", "push", "Push", show=False,
                tooltip="push the highlighted experiment (or the selection) to the git remote "
                "origin, with its cached outputs to the DVC remote"),
        Binding("R", "toggle_remote", "Remote", show=False,
                tooltip="show or hide the experiments of the git remote origin not here"),
        Binding("U", "pull", "Pull", show=False,
                tooltip="pull the highlighted remote experiment (or the selection) from origin"),
        Binding("x", "export", "Export", show=False,
                tooltip="write the charted experiments' charts to a file: .csv or .json (the "
                "data), .svg or .png (a picture)"),
        Binding("n", "toggle_alerts", "Alerts", show=False,
                tooltip="when a run ends: the bell and a desktop notification, or a toast only"),
        Binding("5", "show_tab('system')", "System", show=False,
                tooltip="the System tab: CPU, RAM, disk and GPU of the charted runs"),
        Binding("6", "show_tab('curves')", "Curves", show=False,
                tooltip="the Curves tab: ROC, precision-recall, with the area under each"),
        Binding("z", "chart_range", "Step range", show=False,
                tooltip="chart only the steps from:to (10:50, :20, 30:; empty: all)"),
        Binding("y", "chart_log", "Log y", show=False,
                tooltip="the charts' y axis on a log scale, or linear (values <= 0 left out)"),
        Binding("minus", "chart_smoothing(-1)", "Less smoothing", show=False,
                tooltip="less smoothing of the charts (TensorBoard's, in steps of 0.1)"),
        Binding("plus,equals_sign", "chart_smoothing(1)", "More smoothing", show=False,
                tooltip="more smoothing of the charts: the smoothed line over the raw one"),
        Binding("v", "chart_cursor", "Chart cursor", show=False,
                tooltip="a cursor on the charts that reads each curve's exact value: left and "
                "right move it, tab the next chart, escape or v puts it away"),
        Binding("7", "show_tab('images')", "Images", show=False,
                tooltip="the Images tab: the images DVCLive logged, per charted experiment"),
        Binding("comma", "image_step(-1)", "Earlier step", show=False,
                tooltip="Images tab: the images of the step before"),
        Binding("full_stop", "image_step(1)", "Later step", show=False,
                tooltip="Images tab: the images of the step after"),
        Binding("8", "show_tab('custom')", "Custom", show=False,
                tooltip="the Custom tab: a metric against a param, a point per experiment"),
        Binding("X", "custom_axis('x')", "X axis", show=False,
                tooltip="the Custom tab's x axis: a column picked from a list (type to narrow)"),
        Binding("Y", "custom_axis('y')", "Y axis", show=False,
                tooltip="the Custom tab's y axis: a column picked from a list (type to narrow)"),
    ]  # fmt: skip

    def __init__(self, backend: Backend, *, show_machine: bool = True) -> None:
        """`show_machine`: the line of GPU, CPU and RAM readings (off for screenshots, whose
        readings would differ each time)."""
        super().__init__()
        self.backend = backend
        self.show_machine = show_machine
        self.view = TableView()
        self.live_data: dict[str, LiveData] = {}
        self.frame = 0
        self.header = Header(backend.repo.root.name, None, None)
        self._listing_due = True
        self._charts_due = True
        self._log_due = False
        self._highlighted_key: str | None = None
        self._live_generation = 0
        self.listings = 0
        """Listings applied so far (tests wait on it)."""
        self._shown: dict[str, Text] = {}
        self._copies_watched: list[Path] = []
        self._watch: RepoWatch | None = None
        self._live_listing_due = False
        self._listed_at = 0.0
        self._pending = 0
        self._charted: list[tuple[object, ...]] = []
        self._settings_loaded = False
        self._settings_version = 0
        self._show_remote = False
        self._running_keys: set[str] = set()
        self._remote_rows: list[Experiment] = []

    # Layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="where")
        yield Static("", id="machine")
        yield ExperimentsTable(id="experiments")
        yield Static("", id="details")
        yield Input(
            placeholder="filter: words, or eval.accuracy>0.9 (enter applies, escape clears)",
            id="filter",
        )
        yield Label("", id="filter-problem", classes="problem")
        with TabbedContent(initial="plots", id="tabs"):
            with TabPane("1 Plots", id="plots"):
                yield ChartGrid(id="plots-panel")
            with TabPane("2 Confusion", id="confusion"):
                yield ConfusionPanel(id="confusion-panel")
            with TabPane("3 Logs", id="logs"):
                yield LogPanel(self.backend, id="log")
            with TabPane("4 Diff", id="diff"):
                yield DiffPanel(id="diff-panel")
            with TabPane("5 System", id="system"):
                yield ChartGrid(id="system-panel", system=True)
            with TabPane("6 Curves", id="curves"):
                yield ChartGrid(id="curves-panel", curves=True)
            with TabPane("7 Images", id="images"):
                yield ImagesPanel(self.backend, id="images-panel")
            with TabPane("8 Custom", id="custom"):
                yield CustomPlot(id="custom-panel")
        yield Footer()

    @property
    def main(self) -> Screen[Any]:
        """The screen with the table and panels: queries go there even while a dialog is
        open (workers keep delivering results underneath it)."""
        if not self.screen_stack:
            raise NoMatches("the app is shutting down")
        return self.screen_stack[0]

    @property
    def table(self) -> ExperimentsTable:
        """The experiments table."""
        return self.main.query_one(ExperimentsTable)

    @property
    def charts(self) -> ChartGrid:
        """The chart grid of the Plots tab."""
        return self.main.query_one(ChartGrid)

    @property
    def system_charts(self) -> ChartGrid:
        """The System tab's charts (DVCLive's system metrics)."""
        return self.main.query_one("#system-panel", ChartGrid)

    @property
    def curve_charts(self) -> ChartGrid:
        """The Curves tab's charts (ROC, precision-recall...)."""
        return self.main.query_one("#curves-panel", ChartGrid)

    @property
    def images(self) -> ImagesPanel:
        """The Images tab."""
        return self.main.query_one(ImagesPanel)

    @property
    def custom_plot(self) -> CustomPlot:
        """The Custom tab's chart (a metric against a param)."""
        return self.main.query_one(CustomPlot)

    @property
    def log_panel(self) -> LogPanel:
        """The Logs tab."""
        return self.main.query_one(LogPanel)

    def on_mount(self) -> None:
        self.main.query_one("#filter", Input).display = False
        self.main.query_one("#filter-problem", Label).display = False
        self.table.focus()
        self.set_interval(TICK_S, self._tick)
        self.load_settings()
        self.watch_files()
        self.main.query_one("#machine", Static).display = False
        if self.show_machine:
            self.read_machine()

    @property
    def idle(self) -> bool:
        """Nothing due and no worker running: what the screen shows is settled."""
        due = self._listing_due or self._live_listing_due or self._charts_due or self._log_due
        return not due and all(worker.is_finished for worker in self.workers
                               if worker.group not in ("watch", "machine"))  # fmt: skip

    # Workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="listing", exit_on_error=False,
          description="list experiments")  # fmt: skip
    def load_experiments(self, before: dict[str, str]) -> None:
        """List experiments (a thread: git and file reads block); say which runs failed
        since the listing whose statuses are `before`."""
        if not self.listings:
            # A first look at thousands of experiments never read before: the rows at once,
            # their values as soon as they are read.
            rows = self.backend.experiments(with_runs=True, within_s=FIRST_LOOK_S)
            pending = self.backend.values_pending
            if pending:
                self.post_message(ExperimentsLoaded(rows, self.backend.header(), [], pending))
        rows = self.backend.experiments(with_runs=True)
        failures = [
            (row.label, self.backend.failure_reason(row))
            for row in rows
            if row.status == "failed" and before.get(row.key) in ("running", "queued")
        ]
        if not get_current_worker().is_cancelled:
            self.post_message(ExperimentsLoaded(rows, self.backend.header(), failures))

    @work(exclusive=True, group="watch", exit_on_error=False, description="watch files")
    async def watch_files(self, rows: list[Experiment] | None = None) -> None:
        """Async: changes of what the listing and charts show become messages (`rows`: the
        listing, whose runs in a queue's copies are watched too)."""
        watch = await asyncio.to_thread(self.backend.watch, rows or [])
        self._watch = watch
        watcher = watch.watcher
        self.log.info(f"watching with {watcher.mode.kind}: {watcher.mode.reason}")
        async for changed in watcher.achanges():
            self.post_message(FilesChanged(changed))

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False,
          description="read the saved view")  # fmt: skip
    def load_settings(self) -> None:
        """Stars, hidden columns, sort and theme of the last session (a small file)."""
        self.post_message(SettingsLoaded(self.backend.view_settings()))

    @work(thread=True, group="settings", exit_on_error=False, description="save the view")
    def save_settings(self, settings: dict[str, Any], version: int) -> None:
        """Keep the person's choices for the next session (the newest version wins)."""
        self.backend.save_view_settings(settings, version)

    def _settings_changed(self) -> None:
        if self._settings_loaded:
            self._settings_version += 1
            self.save_settings({**self.view.settings(), "theme": self.theme},
                               self._settings_version)  # fmt: skip

    def watch_theme(self, theme: str) -> None:
        self._settings_changed()

    @_while_shown
    def on_settings_loaded(self, message: SettingsLoaded) -> None:
        self.view.apply_settings(message.settings)
        theme = message.settings.get("theme")
        if theme in self.available_themes:
            self.theme = theme
        self._settings_loaded = True
        if self.view.rows:
            self._redraw_table()
            self._show_header()

    @work(thread=True, exclusive=True, group="machine", exit_on_error=False,
          description="read the machine")  # fmt: skip
    def read_machine(self) -> None:
        """GPUs, CPU and RAM, every few seconds while the app runs (a thread: NVML and
        /proc reads block; a few ms each)."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            self.post_message(MachineRead(self.backend.machine()))
            time.sleep(MACHINE_EVERY_S)

    @work(thread=True, exclusive=True, group="live", exit_on_error=False,
          description="read DVCLive data")  # fmt: skip
    def load_live(self, experiments: list[Experiment], generation: int) -> None:
        """Read the charted experiments' DVCLive data."""
        self.post_message(LiveLoaded(generation, self.backend.live_data(experiments)))

    @work(thread=True, exclusive=False, group="action", exit_on_error=False,
          description="act on experiments")  # fmt: skip
    def backend_action(self, action: Callable[[], object]) -> None:
        """Run one backend call; its message or its error comes back as a notification."""
        result = action()
        text = result if isinstance(result, str) else "done"
        self.post_message(ActionDone(text.strip() or "done"))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            message = (
                str(error)
                if isinstance(error, BackendError)
                else f"{type(error).__name__}: {error}"
            )
            self.notify(message, title=event.worker.description or "error",
                        severity="error", timeout=8, markup=False)  # fmt: skip
            if event.worker.group == "live":
                # Never leave another experiment's charts labelled as this one's.
                self.live_data = {}
                self.charts.show([])

    # Messages ----------------------------------------------------------------------------

    @_while_shown
    def on_experiments_loaded(self, message: ExperimentsLoaded) -> None:
        self.header = message.header
        self._pending = message.pending
        self._show_header()
        for name, reason in message.failures:
            self._announce("run failed", f"{name} failed: {reason}", "error")
        # Keys seen running, until their run ends: a listing taken while DVC commits the
        # finished run may show it in neither state, so the last listing alone is not enough.
        for row in message.rows:
            if row.status == "running":
                self._running_keys.add(row.key)
            elif row.key in self._running_keys and row.status in ("success", "failed"):
                self._running_keys.discard(row.key)
                if row.status == "success":
                    self._announce("run finished", f"{row.label} finished", "information")
        self.listings += 1
        rows = with_remote(message.rows, self._remote_rows)
        if rows == self.view.rows:
            return  # most file events change nothing listed
        self.view.set_rows(rows)
        copies = self.backend.running_copies(message.rows)
        if copies != self._copies_watched:
            self._copies_watched = copies
            self.watch_files(message.rows)
        self._redraw_table()
        self._follow_highlight()

    @_while_shown
    def on_files_changed(self, message: FilesChanged) -> None:
        # What is watched is what the listing, the charts or the log show (watch_targets);
        # each refresh costs what changed: committed rows come from caches. A run's DVCLive
        # step (twice a second, say) changes its row's metrics and the charts: the charts
        # follow at once, its row at most once a second (a listing of 2000 rows costs).
        if self._watch is not None and self._watch.only_live_steps(message.paths):
            self._live_listing_due = True
        else:
            self._listing_due = True
        self._charts_due = self._log_due = True
        self._load_charts_if_due()  # now, not at the next tick: a line to the chart is timed

    @_while_shown
    def on_live_loaded(self, message: LiveLoaded) -> None:
        if message.generation != self._live_generation:
            return
        self.live_data = message.data
        charted = self.view.charted(self.table.highlighted)
        self.charts.show(charts_for(charted, self.live_data, self.view.colours))
        self.system_charts.show(charts_for(charted, self.live_data, self.view.colours, system=True))
        self.curve_charts.show(curve_charts_for(charted, self.live_data, self.view.colours))
        self._show_confusion(charted)
        self.images.show(charted, self.live_data, self.view.colours)

    @_while_shown
    def on_machine_read(self, message: MachineRead) -> None:
        line = machine_line(message.reading)
        machine = self.main.query_one("#machine", Static)
        machine.display = bool(line)  # absent, not broken, where nothing can be read
        self._update_static("#machine", plain(line))

    def _announce(self, title: str, text: str, severity: SeverityLevel) -> None:
        """A run ended: a toast, and unless switched off (`n`) the bell and a desktop
        notification where the terminal shows one (OSC 9: iTerm2, WezTerm, Windows Terminal,
        kitty; OSC 777: foot, urxvt, VTE terminals); other terminals ignore both."""
        self.notify(text, title=title, severity=severity, timeout=12, markup=False)
        if not self.view.alerts or self.is_headless or self._driver is None:
            return
        self.bell()
        body = "".join(c for c in text if c.isprintable()).replace(";", ",")[:200]
        # Textual has no public call for raw output; App.bell writes through the driver too.
        self._driver.write(f"\x1b]9;catdog-tui: {body}\x07\x1b]777;notify;catdog-tui;{body}\x07")

    def action_toggle_alerts(self) -> None:
        self.view.alerts = not self.view.alerts
        state = "on" if self.view.alerts else "off (toasts only)"
        self.notify(f"bell and desktop notifications {state}", markup=False)
        self._settings_changed()

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.message, markup=False)
        self._listing_due = True

    @on(ExperimentsTable.RowHighlighted)
    @_while_shown
    def _highlight_moved(self, event: ExperimentsTable.RowHighlighted) -> None:
        key = self.table.highlighted_key
        if key == self._highlighted_key:
            return  # the table was redrawn under the same row
        self._highlighted_key = key
        self._follow_highlight()

    def _follow_highlight(self) -> None:
        row = self.table.highlighted
        self._show_details(row)
        self.log_panel.follow(row)
        # The charts follow the files they are drawn from (watched); a listing matters to
        # them only when it changes what is charted.
        charted: list[tuple[object, ...]] = [(r.key, r.rev, r.status, r.live_root)
                   for r in self.view.charted(row)]  # fmt: skip
        if charted != self._charted:
            self._charted = charted
            self._charts_due = True
        self._show_diff()
        if self.main.query_one(TabbedContent).active == "custom":
            self.custom_plot.highlight(row)

    @_while_shown
    def _tick(self) -> None:
        self.frame += 1
        if self._live_listing_due and time.monotonic() - self._listed_at >= LIVE_LISTING_S:
            self._listing_due = True
        if self._listing_due and not self._busy("listing"):
            self._listing_due = self._live_listing_due = False
            self._listed_at = time.monotonic()
            self.load_experiments({row.key: row.status for row in self.view.rows})
        self._load_charts_if_due()
        if self._log_due:
            self._log_due = False
            self.log_panel.poll()
        if self.frame % SPIN_EVERY == 0 and any(r.status == "running" for r in self.view.rows):
            self.table.spin(self.frame // SPIN_EVERY)

    def _load_charts_if_due(self) -> None:
        if self._charts_due and self.view.rows and not self._busy("live"):
            self._charts_due = False
            self._live_generation += 1
            self.load_live(self.view.charted(self.table.highlighted), self._live_generation)

    def _busy(self, group: str) -> bool:
        return any(w.group == group and not w.is_finished for w in self.workers)

    # Drawing -----------------------------------------------------------------------------

    def _redraw_table(self) -> None:
        self.table.show(self.view, self.frame // SPIN_EVERY)
        self._show_details(self.table.highlighted)
        self._show_custom()

    def _show_custom(self) -> None:
        # Only while its tab is shown: at 2000 rows the points cost about 5 ms a listing.
        if self.main.query_one(TabbedContent).active == "custom":
            rows = list(self.table.rows_by_key.values())
            self.custom_plot.show(custom_scatter(self.view, rows), self.table.highlighted)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "custom":
            self._show_custom()

    def _show_header(self) -> None:
        running = sum(r.status == "running" for r in self.view.rows)
        queued = sum(r.status == "queued" for r in self.view.rows)
        head = self.header.head[:7] if self.header.head else "no commits"
        reading = f"   reading the values of {self._pending} commits…" if self._pending else ""
        sort = ""
        if self.view.sort_column:
            arrow = "↓" if self.view.sort_descending else "↑"
            sort = f"   sorted by {self.view.sort_column} {arrow}"
        self._update_static("#where", plain(
            f"{self.header.repo}  ⎇ {self.header.branch or 'detached HEAD'}  @ {head}   "
            f"{running} running  {queued} queued{sort}{reading}"
        ))  # fmt: skip

    def _update_static(self, selector: str, content: Text) -> None:
        # Skipped when nothing shown changed; these lines are one row high whatever they say,
        # so a change repaints them without laying the screen out again.
        widget = self.main.query_one(selector, Static)
        if self._shown.get(selector) != content:
            self._shown[selector] = content
            widget.update(content, layout=False)

    def _show_details(self, row: Experiment | None) -> None:
        """The highlighted row in full: values cut short in the table, and its errors."""
        layout = self.table.layout_shown
        if row is None or layout is None:
            self._update_static("#details", Text(""))
            return
        parts = []
        if row.key in layout.truncated:
            values = flat_values(row)
            parts.append(f"{row.name or row.rev}: " + "  ".join(
                f"{c.key}={cell(values[c.key])}" for c in layout.columns if c.key in values
            ))  # fmt: skip
        errors = error_summary(row)
        if errors:
            parts.insert(0, errors)
        self._update_static("#details", Text("  |  ".join(parts), style="red" if errors else "dim"))

    def _show_confusion(self, charted: list[Experiment]) -> None:
        self.main.query_one(ConfusionPanel).show(
            [(e.label, self.live_data.get(e.key, LiveData()).confusion) for e in charted[:2]]
        )

    def _show_diff(self) -> None:
        self.main.query_one(DiffPanel).show(self.view.selected_rows()[:2])

    # Actions -----------------------------------------------------------------------------

    def _target(self) -> Experiment | None:
        row = self.table.highlighted
        if row is None or row.kind == "workspace":
            self.notify("Highlight an experiment first.", severity="warning")
            return None
        return row

    def action_toggle_select(self) -> None:
        key = self.table.highlighted_key
        if key is None:
            return
        self.view.toggle_select(key)
        self._redraw_table()
        self._show_diff()
        self._charts_due = True

    def action_star(self) -> None:
        key = self.table.highlighted_key
        if key is not None:
            self.view.toggle_star(key)
            self._redraw_table()
            self._settings_changed()

    def action_run(self) -> None:
        self.backend_action(lambda: _started(self.backend.start_run([])))

    def action_edit_params(self) -> None:
        workspace = next((r for r in self.view.rows if r.kind == "workspace"), None)
        params = workspace.params if workspace else {}

        def chosen(result: FormResult | None) -> None:
            if result is None:
                return
            overrides = result.set_params
            if result.queue:
                self.backend_action(lambda: self.backend.queue(overrides))
            else:
                self.backend_action(lambda: _started(self.backend.start_run(overrides)))

        self.push_screen(ParamsForm(self.backend, params), chosen)

    def action_workers(self) -> None:
        def check(value: str) -> str | None:
            return None if value.isdigit() and int(value) >= 1 else "a whole number, 1 or more"

        def chosen(value: str | None) -> None:
            if value:
                jobs = int(value)
                self.backend_action(lambda: self.backend.start_workers(jobs))

        self.push_screen(PromptScreen("How many queue workers?", "1", check), chosen)

    def action_stop(self) -> None:
        row = self._target()
        if row is not None:
            # A run of ours that DVC does not list yet is known by its run id, not its rev.
            name = row.run_id or row.rev
            self.backend_action(lambda: self.backend.stop(name))

    def action_remove(self) -> None:
        targets = [r for r in self.view.targets(self.table.highlighted) if r.kind == "experiment"]
        if not targets:
            self.notify("Highlight an experiment first.", severity="warning")
            return
        # The backend gets full revs: a name may stand for experiments of several baselines.
        revs = [t.rev for t in targets if t.run_id is None]
        runs = [t.run_id for t in targets if t.run_id is not None]
        names = ", ".join(t.label for t in targets)
        what = f"the {len(targets)} selected experiments ({names})" if len(targets) > 1 else names

        def remove() -> str:
            said = [self.backend.forget_run(run_id) for run_id in runs]
            if revs:
                said.append(self.backend.remove(revs))
            return "; ".join(said)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.backend_action(remove)

        self.push_screen(ConfirmScreen(f"Remove {what}? This cannot be undone.", "Remove"),
                         confirmed)  # fmt: skip

    def action_export(self) -> None:
        charted = [(row, self.live_data.get(row.key, LiveData()))
                   for row in self.view.charted(self.table.highlighted)]  # fmt: skip
        if not charted:
            return
        grid = self._active_grid
        pattern = grid.pattern or None
        # What the chart shows goes with it; a curve's range is of its x, not of steps.
        view = PLAIN if grid is self.curve_charts else grid.view
        suggestion = f"{charted[0][0].label}-charts.csv"

        def check(value: str) -> str | None:
            suffix = Path(value.strip()).suffix.lower()
            return None if suffix in FORMATS else f"end the name in one of {', '.join(FORMATS)}"

        def chosen(value: str | None) -> None:
            if value:
                target = (self.backend.repo.root / value.strip()).resolve()
                self.backend_action(lambda: export_charts(target, charted, pattern, view))

        self.push_screen(PromptScreen(
            "Export the charts of " + ", ".join(row.label for row, _ in charted) +
            " to (a path in the repository, or absolute):", suggestion, check,
        ), chosen)  # fmt: skip

    def action_push(self) -> None:
        rows = [r for r in self.view.targets(self.table.highlighted)
                if r.kind == "experiment" and r.status == "success"]  # fmt: skip
        if not rows:
            self.notify("push takes finished experiments: highlight or select one", markup=False)
            return
        names = [r.name or r.rev for r in rows]
        shown = ", ".join(r.label for r in rows)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.backend_action(lambda: self.backend.push(names))

        self.push_screen(ConfirmScreen(
            f"Push {shown} to the git remote origin, with cached outputs to the DVC remote?",
            "Push",
        ), confirmed)  # fmt: skip

    def action_pull(self) -> None:
        rows = [r for r in self.view.targets(self.table.highlighted) if r.status == "remote"]
        if not rows:
            self.notify("pull takes remote experiments: R shows them, then highlight one",
                        markup=False)  # fmt: skip
            return
        self.backend_action(lambda: self.backend.pull([r.rev for r in rows]))

    def action_toggle_remote(self) -> None:
        self._show_remote = not self._show_remote
        if self._show_remote:
            self.notify("asking origin for its experiments…", markup=False)
            self.load_remote()
        else:
            self._remote_rows = []
        self._listing_due = True

    @work(thread=True, exclusive=True, group="remote", exit_on_error=False,
          description="list the remote's experiments")  # fmt: skip
    def load_remote(self) -> None:
        """The experiments origin has and this repository does not (a network round trip)."""
        self.post_message(RemoteLoaded(self.backend.remote_experiments()))

    def on_remote_loaded(self, message: RemoteLoaded) -> None:
        if self._show_remote:
            self._remote_rows = message.rows
            self.notify(f"origin has {len(message.rows)} experiments not here", markup=False)
            self._listing_due = True

    def action_apply(self) -> None:
        row = self._target()
        if row is None:
            return
        rev = row.rev

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.backend_action(lambda: self.backend.apply(rev))

        self.push_screen(
            ConfirmScreen(
                f"Apply {row.label} to the workspace? Uncommitted changes to the files it "
                "changes are replaced.",
                "Apply",
            ),
            confirmed,
        )

    def action_branch(self) -> None:
        row = self._target()
        if row is None:
            return
        rev = row.rev

        def check(value: str) -> str | None:
            if not value or any(c in value for c in " ~^:?*[\\") or value.startswith("-"):
                return "a git branch name: no spaces or ~^:?*[\\"
            return None

        def chosen(value: str | None) -> None:
            if value:
                self.backend_action(lambda: self.backend.branch(rev, value))

        self.push_screen(
            PromptScreen(f"Branch name for {row.label}:", f"{row.label}-branch", check), chosen
        )

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab
        if tab in ("plots", "system", "curves"):
            self._charts_due = True
        if isinstance(self.focused, ChartGrid):
            # A hidden grid would keep the keys: they go to this tab's cursor, or the table.
            grid = self._active_grid
            shown = tab in ("plots", "system", "curves") and grid.cursor_on
            (grid if shown else self.table).focus()

    @property
    def _active_grid(self) -> ChartGrid:
        """The chart grid the page and metric keys act on: System's when it is shown."""
        active = self.main.query_one(TabbedContent).active
        if active == "system":
            return self.system_charts
        return self.curve_charts if active == "curves" else self.charts

    def action_custom_axis(self, axis: str) -> None:
        self.action_show_tab("custom")
        rows = list(self.table.rows_by_key.values())
        metrics, params = self.view.value_columns(rows)
        if not metrics and not params:
            self.notify("No metrics or params in the listing yet.", markup=False)
            return
        current = chosen_axes(self.view, rows)[0 if axis == "x" else 1]

        def chosen(column: str | None) -> None:
            if column:
                if axis == "x":
                    self.view.custom_x = column
                else:
                    self.view.custom_y = column
                self._settings_changed()
                self._show_custom()

        self.push_screen(ColumnPicker(f"Plot on the {axis} axis:", metrics, params, current,
                                      params_first=axis == "x"), chosen)  # fmt: skip

    def action_chart_page(self, pages: int) -> None:
        if self.main.query_one(TabbedContent).active == "images":
            self.images.turn(pages)
        else:
            self._active_grid.turn(pages)

    def action_image_step(self, steps: int) -> None:
        if self.main.query_one(TabbedContent).active == "images":
            self.images.move_step(steps)

    def action_chart_range(self) -> None:
        grid = self._active_grid

        def chosen(value: str | None) -> None:
            if value is not None:
                grid.set_range(parse_range(value))

        self.push_screen(
            PromptScreen(f"{grid.x_name.capitalize()} to chart, from:to (10:50, :20, 30:; empty: "
                         "all):", str(grid.view.steps), range_problem), chosen,
        )  # fmt: skip

    def action_chart_log(self) -> None:
        self._active_grid.toggle_log()

    def action_chart_smoothing(self, direction: int) -> None:
        self._active_grid.smoothing(direction)

    def action_chart_cursor(self) -> None:
        if self.main.query_one(TabbedContent).active not in ("plots", "system", "curves"):
            self.action_show_tab("plots")
        grid = self._active_grid
        if grid.cursor_on and not grid.has_focus:
            grid.focus()  # the cursor was left on: its keys again
            return
        grid.toggle_cursor()
        (grid if grid.cursor_on else self.table).focus()

    def action_metric_filter(self) -> None:
        grid = self._active_grid

        def chosen(value: str | None) -> None:
            if value is not None:
                grid.set_pattern(value.strip())

        self.push_screen(
            PromptScreen("Metrics to chart (a glob like *loss*, or part of a name; empty: all):",
                         grid.pattern), chosen,
        )  # fmt: skip

    def action_filter(self) -> None:
        field = self.main.query_one("#filter", Input)
        field.display = True
        field.value = self.view.row_filter.text
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        problem = RowFilter(event.value).error()
        label = self.main.query_one("#filter-problem", Label)
        label.update(plain(problem or ""))
        label.display = bool(problem)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        row_filter = RowFilter(event.value)
        if row_filter.error():
            return  # the problem is shown under the field; nothing is hidden
        self.view.row_filter = row_filter
        event.input.display = bool(event.value)
        self._redraw_table()
        self.table.focus()

    def on_key(self, event: Any) -> None:
        field = self.main.query_one("#filter", Input)
        if event.key == "escape" and field.has_focus:
            field.value = ""
            self.view.row_filter = RowFilter()
            field.display = False
            self.main.query_one("#filter-problem", Label).display = False
            self._redraw_table()
            self.table.focus()

    def action_sort(self) -> None:
        self.view.next_sort()
        self._redraw_table()
        self._show_header()
        self._settings_changed()

    def action_toggle_changed(self) -> None:
        self.view.only_changed = not self.view.only_changed
        self._redraw_table()
        self._settings_changed()

    def action_hide_column(self) -> None:
        known = set(self.view.all_columns())
        hidden = ", ".join(sorted(self.view.hidden)) or "none"

        def check(value: str) -> str | None:
            return None if value in known else "not a column: a metric or param key, as shown"

        def chosen(value: str | None) -> None:
            if value:
                self.view.hidden.symmetric_difference_update({value})
                self._redraw_table()
                self._settings_changed()

        self.push_screen(
            PromptScreen(f"Column to hide, or to show again (hidden: {hidden}):", "", check),
            chosen,
        )

    @on(ExperimentsTable.HeaderSelected)
    def _sort_by_header(self, event: ExperimentsTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column in ("marks", "rev"):
            return
        self.view.sort_by(column)
        self._redraw_table()
        self._show_header()
        self._settings_changed()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(list(self.key_help())))

    def key_help(self) -> Iterator[tuple[str, str]]:
        """(keys, what they do) of every binding of the table and the app: the help screen
        and the palette are made from the bindings, so there is one list of keys."""
        for binding in [*ExperimentsTable.BINDINGS, *self.BINDINGS, *ChartGrid.BINDINGS]:
            assert isinstance(binding, Binding)
            keys = ", ".join(self.get_key_display(Binding(k, "")) for k in binding.key.split(","))
            yield keys, binding.tooltip or binding.description

    def get_system_commands(self, screen: Screen[Any]) -> Iterator[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action == "quit":
                continue
            keys = ", ".join(self.get_key_display(Binding(k, "")) for k in binding.key.split(","))
            yield SystemCommand(
                f"{binding.description} ({keys})",
                binding.tooltip or binding.description,
                functools.partial(self.run_action, binding.action),
            )


def _started(record: object) -> str:
    run_id = getattr(record, "id", "")
    return f"started run {run_id}: its log is on the Logs tab (3)"
