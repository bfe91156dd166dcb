"""`catdog-tui`: experiments above, charts / confusion matrix / logs / diff below.

Every backend call runs in a worker and comes back as a message (tui/app/messages.py). File
changes set a flag; a 10 Hz timer turns flags into at most one listing refresh and one chart
redraw per tick, however fast DVCLive writes.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Input, Log, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tui.app.charts import colour_for, line_chart
from tui.app.messages import (
    ActionDone,
    ChartsRendered,
    ExperimentsLoaded,
    FilesChanged,
    LiveLoaded,
    LogRead,
)
from tui.app.screens.dialogs import ConfirmScreen, PromptScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.params_form import FormResult, ParamsForm
from tui.app.table_state import RowFilter, arrange
from tui.app.widgets.experiments import ExperimentsTable, row_key
from tui.app.widgets.panels import ConfusionPanel, DiffPanel, PlotsPanel
from tui.backend.errors import BackendError
from tui.backend.experiments import Experiment
from tui.backend.follow import total_steps
from tui.backend.history import LiveData, LiveReader
from tui.backend.service import Backend
from tui.backend.watch import Watcher
from tui.display import columns, error_summary

TICK_S = 0.1


def _while_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """Drop a result that arrives while the app is tearing its widgets down (on quit)."""

    @functools.wraps(handler)
    def guarded(*args: Any) -> None:
        with contextlib.suppress(NoMatches):
            handler(*args)

    return guarded


SORTABLE_FIXED = ["Experiment", "created", "status"]
TABS = {"1": "plots", "2": "confusion", "3": "logs", "4": "diff"}


class CatdogApp(App[None]):
    """The experiments of one DVC repository, live."""

    CSS_PATH = "catdog.tcss"
    TITLE = "catdog-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_select", "Select"),
        Binding("r", "run", "Run"),
        Binding("e", "edit_params", "Params"),
        Binding("w", "workers", "Workers"),
        Binding("s", "stop", "Stop"),
        Binding("d", "remove", "Remove"),
        Binding("a", "apply", "Apply"),
        Binding("b", "branch", "Branch"),
        Binding("l", "show_tab('logs')", "Logs"),
        Binding("slash", "filter", "Filter"),
        Binding("o", "sort", "Sort"),
        Binding("c", "toggle_changed", "Columns", show=False),
        Binding("h", "hide_column", "Hide column", show=False),
        Binding("asterisk", "star", "Star", show=False),
        Binding("1", "show_tab('plots')", "Plots", show=False),
        Binding("2", "show_tab('confusion')", "Confusion", show=False),
        Binding("3", "show_tab('logs')", "Logs", show=False),
        Binding("4", "show_tab('diff')", "Diff", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.rows: list[Experiment] = []
        self.selected: list[str] = []
        self.starred: set[str] = set()
        self.row_filter = RowFilter()
        self.sort_column: str | None = None
        self.sort_descending = False
        self.only_changed = True
        self.hidden_columns: set[str] = set()
        self.live_reader = LiveReader(backend.index.git, self._live_dir_name())
        self.live_data: dict[str, LiveData] = {}
        self.colour_slots: dict[str, int] = {}
        """Each selected experiment keeps its colour until unselected."""
        self.charts_drawn = 0
        self._listing_due = True
        self._charts_due = True
        self._log_path: Path | None = None
        self._log_offset = 0

    def _live_dir_name(self) -> str:
        try:
            return self.backend.workspace_live_dir().relative_to(self.backend.repo.root).as_posix()
        except (BackendError, ValueError):
            return "dvclive"

    # Layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="where")
        yield ExperimentsTable(id="experiments")
        yield Static("", id="row-errors")
        yield Input(
            placeholder="filter: words, or eval.accuracy>0.9 (enter to apply, escape to clear)",
            id="filter",
        )
        with TabbedContent(initial="plots", id="tabs"):
            with TabPane("1 Plots", id="plots"):
                yield PlotsPanel(id="plots-panel")
            with TabPane("2 Confusion matrix", id="confusion"):
                yield ConfusionPanel(id="confusion-panel")
            with TabPane("3 Logs", id="logs"):
                yield Log(id="log", max_lines=5000)
            with TabPane("4 Diff", id="diff"):
                yield DiffPanel(id="diff-panel")
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

    def on_mount(self) -> None:
        self.main.query_one("#filter", Input).display = False
        self.main.query_one("#row-errors", Static).display = False
        self.table.focus()
        self.set_interval(TICK_S, self._tick)
        self.watch_files()

    # Workers -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="listing", exit_on_error=False,
          description="list experiments")  # fmt: skip
    def load_experiments(self) -> None:
        """List experiments (a thread: git and file reads block)."""
        rows = self.backend.experiments()
        self.post_message(ExperimentsLoaded(rows, self._header(rows)))

    def _header(self, rows: list[Experiment]) -> str:
        git = self.backend.index.git
        branch = git.branch() or "detached HEAD"
        head = git.head()
        running = sum(r.status == "running" for r in rows)
        queued = sum(r.status == "queued" for r in rows)
        return (
            f"{self.backend.repo.root.name}  ⎇ {branch}  @ {head[:7] if head else '-'}   "
            f"{running} running  {queued} queued"
        )

    @work(exclusive=True, group="watch", exit_on_error=False, description="watch files")
    async def watch_files(self) -> None:
        """Async: file changes under the repository's experiment folders become messages."""
        root = self.backend.repo.root
        targets = [
            root / ".git" / "refs",
            root / ".git" / "HEAD",
            # DVC's queue and run state, and our run records; not our cache, whose writes
            # would trigger the refresh that writes it.
            root / ".dvc" / "tmp" / "exps",
            root / ".dvc" / "tmp" / "catdog-tui" / "runs",
            root / self.live_reader.live_dir_name,
            root / "params.yaml",
        ]
        watcher = Watcher(targets)
        self.log.info(f"watching with {watcher.mode.kind}: {watcher.mode.reason}")
        async for _ in watcher.achanges():
            self.post_message(FilesChanged())

    @work(thread=True, exclusive=True, group="live", exit_on_error=False,
          description="read DVCLive data")  # fmt: skip
    def load_live(self, experiments: list[Experiment], width: int, height: int) -> None:
        """Read the charted experiments' DVCLive data and draw the charts (plotext)."""
        root = self.backend.repo.root
        data = {row_key(e): self.live_reader.read(e, root) for e in experiments}
        self.post_message(LiveLoaded(data))
        self.post_message(ChartsRendered(self._render_charts(experiments, data, width, height)))

    def _render_charts(
        self, experiments: list[Experiment], data: dict[str, LiveData], width: int, height: int
    ) -> Text:
        names = sorted({name for d in data.values() for name in d.series})
        if not names:
            return Text("No per-step metrics logged yet for the charted experiments.")
        leaves = sorted({name.rsplit("/", 1)[-1] for name in names})
        prefixes = sorted({name.rsplit("/", 1)[0] if "/" in name else "" for name in names})
        # Validation above training, as the VS Code extension does; one column per metric.
        prefixes.sort(key=lambda p: (p not in ("eval", "val", "validation"), p))
        columns_count = max(1, len(leaves))
        chart_width = max(24, width // columns_count - 1)
        chart_height = max(8, height // max(1, len(prefixes)) - 1)
        out = Text()
        for prefix in prefixes:
            charts = []
            for leaf in leaves:
                name = f"{prefix}/{leaf}" if prefix else leaf
                curves = [
                    (
                        experiment.label,
                        colour_for(self.colour_slots.get(row_key(experiment), index)),
                        data[row_key(experiment)].series[name],
                    )
                    for index, experiment in enumerate(experiments)
                    if name in data[row_key(experiment)].series
                ]
                charts.append(Text.from_ansi(line_chart(name, curves, chart_width, chart_height)))
            lines = [chart.split() for chart in charts]
            for row in range(max(len(parts) for parts in lines)):
                for parts in lines:
                    piece = parts[row] if row < len(parts) else Text()
                    piece.pad_right(chart_width - piece.cell_len + 1)
                    out.append_text(piece)
                out.append("\n")
        return out

    @work(thread=True, exclusive=True, group="action", exit_on_error=False,
          description="act on experiments")  # fmt: skip
    def backend_action(self, name: str, *args: Any) -> None:
        """Run one backend action; its message or its error comes back as a notification."""
        method = getattr(self.backend, name)
        result = method(*args)
        text = result if isinstance(result, str) else f"started run {result.id}"
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
            self.notify(
                message, title=event.worker.description or "error", severity="error", timeout=8
            )

    # Messages ----------------------------------------------------------------------------

    @_while_shown
    def on_experiments_loaded(self, message: ExperimentsLoaded) -> None:
        self.main.query_one("#where", Static).update(message.header)
        if message.rows == self.rows:
            return  # most file events change nothing listed: no rebuild, no flicker
        self.rows = message.rows
        keys = {row_key(r) for r in self.rows}
        self.selected = [k for k in self.selected if k in keys]
        self.colour_slots = {k: v for k, v in self.colour_slots.items() if k in keys}
        self._redraw_table()
        self._charts_due = True

    def on_files_changed(self, message: FilesChanged) -> None:
        self._listing_due = True
        self._charts_due = True

    @_while_shown
    def on_live_loaded(self, message: LiveLoaded) -> None:
        self.live_data = message.data
        self._show_confusion()

    @_while_shown
    def on_charts_rendered(self, message: ChartsRendered) -> None:
        self.main.query_one(PlotsPanel).show_renderable(message.text)
        self.charts_drawn += 1

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.message)
        self._listing_due = True

    @on(ExperimentsTable.RowHighlighted)
    @_while_shown
    def _highlight_moved(self, event: ExperimentsTable.RowHighlighted) -> None:
        self._charts_due = True
        self._log_path = None
        self._show_diff()
        self._show_row_errors()

    @_while_shown
    def _tick(self) -> None:
        self.table.frame += 1
        if self._listing_due:
            self._listing_due = False
            self.load_experiments()
        if self._charts_due and self.rows:
            self._charts_due = False
            # The tabs' area, not the panel: the panel's height follows its last chart.
            area = self.main.query_one(TabbedContent).size
            self.load_live(self._charted(), area.width or 100, max(area.height - 2, 8))
            self._show_log()
        elif any(r.status == "running" for r in self.rows) and self.table.frame % 5 == 0:
            self._redraw_table()

    # Drawing -----------------------------------------------------------------------------

    def _charted(self) -> list[Experiment]:
        by_key = {row_key(r): r for r in self.rows}
        chosen = [by_key[k] for k in self.selected if k in by_key]
        if chosen:
            return chosen
        highlighted = self.table.highlighted
        return [highlighted] if highlighted is not None else self.rows[:1]

    def _progress(self) -> dict[str, str]:
        progress = {}
        for row in self.rows:
            if row.status != "running":
                continue
            total = total_steps(row.params)
            step = next(
                (m.get("step") for m in row.metrics.values() if isinstance(m.get("step"), int)),
                None,
            )
            if isinstance(step, int):
                progress[row_key(row)] = (
                    f"epoch {step + 1}/{total}" if total else f"epoch {step + 1}"
                )
        return progress

    def _redraw_table(self) -> None:
        shown = arrange(self.rows, self.row_filter, self.sort_column, self.sort_descending)
        metric_keys, param_keys = columns(shown, self.only_changed)
        metric_keys = [k for k in metric_keys if k not in self.hidden_columns]
        param_keys = [k for k in param_keys if k not in self.hidden_columns]
        self.table.show(
            shown, metric_keys, param_keys, self.colour_slots, self.starred, self._progress()
        )
        self._show_row_errors()

    def _show_row_errors(self) -> None:
        """What DVC cannot read in the highlighted row, under the table; hidden when nothing."""
        row = self.table.highlighted
        text = error_summary(row) if row is not None else ""
        line = self.main.query_one("#row-errors", Static)
        line.update(Text(text))  # plain: messages hold brackets that are not markup
        line.display = bool(text)

    def _show_confusion(self) -> None:
        charted = self._charted()[:2]
        self.main.query_one(ConfusionPanel).show(
            [(e.label, self.live_data.get(row_key(e), LiveData()).confusion) for e in charted]
        )

    def _show_diff(self) -> None:
        by_key = {row_key(r): r for r in self.rows}
        self.main.query_one(DiffPanel).show([by_key[k] for k in self.selected if k in by_key][:2])

    def _show_log(self) -> None:
        row = self.table.highlighted
        self.load_log(row, self._log_path, self._log_offset)

    @work(thread=True, exclusive=True, group="log", exit_on_error=False,
          description="read a run's log")  # fmt: skip
    def load_log(self, row: Experiment | None, shown: Path | None, offset: int) -> None:
        """Find the highlighted run's log (a listing: not on the event loop) and read what
        was appended since `offset`."""
        try:
            path = (
                self.backend.log_path(row.label)
                if row is not None and row.kind == "experiment"
                else None
            )
        except BackendError:
            path = None
        if path != shown:
            offset = 0
        chunk = b""
        if path is not None:
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
            except OSError:
                pass
        self.post_message(LogRead(path, offset, chunk.decode("utf-8", errors="replace")))

    @_while_shown
    def on_log_read(self, message: LogRead) -> None:
        log = self.main.query_one(Log)
        if message.path != self._log_path or message.offset == 0:
            log.clear()
            self._log_path = message.path
            self._log_offset = 0
            if message.path is None:
                log.write_line("No log: highlight a run started from catdog-tui or the queue.")
        if message.offset != self._log_offset:
            return  # a late read from an older offset: the next tick reads again
        self._log_offset += len(message.text.encode("utf-8"))
        if message.text:
            log.write(message.text)

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
        if key in self.selected:
            self.selected.remove(key)
            self.colour_slots.pop(key, None)
        else:
            self.selected.append(key)
            taken = set(self.colour_slots.values())
            self.colour_slots[key] = next(i for i in range(len(taken) + 1) if i not in taken)
        self._redraw_table()
        self._show_diff()
        self._charts_due = True

    def action_star(self) -> None:
        key = self.table.highlighted_key
        if key is not None:
            self.starred.symmetric_difference_update({key})
            self._redraw_table()

    def action_run(self) -> None:
        self.backend_action("start_run", [])

    def action_edit_params(self) -> None:
        workspace = next((r for r in self.rows if r.kind == "workspace"), None)
        params = workspace.params if workspace else {}

        def chosen(result: FormResult | None) -> None:
            if result is None:
                return
            if result.queue:
                self.backend_action("queue", result.set_params)
            else:
                self.backend_action("start_run", result.set_params)

        self.push_screen(ParamsForm(self.backend.repo.root, params), chosen)

    def action_workers(self) -> None:
        def check(value: str) -> str | None:
            return None if value.isdigit() and int(value) >= 1 else "a whole number, 1 or more"

        def chosen(value: str | None) -> None:
            if value:
                self.backend_action("start_workers", int(value))

        self.push_screen(PromptScreen("How many queue workers?", "1", check), chosen)

    def action_stop(self) -> None:
        row = self._target()
        if row is not None:
            self.backend_action("stop", row.label)

    def action_remove(self) -> None:
        by_key = {row_key(r): r for r in self.rows}
        targets = [
            by_key[k] for k in self.selected if k in by_key and by_key[k].kind == "experiment"
        ]
        if not targets:
            row = self._target()
            if row is None or row.kind != "experiment":
                return
            targets = [row]
        names = [t.label for t in targets]

        def confirmed(yes: bool | None) -> None:
            if yes:
                gone = {row_key(t) for t in targets}
                self.selected = [k for k in self.selected if k not in gone]
                self.colour_slots = {k: v for k, v in self.colour_slots.items() if k not in gone}
                self.backend_action("remove", names)

        self.push_screen(ConfirmScreen(f"Remove {', '.join(names)}?", "Remove"), confirmed)

    def action_apply(self) -> None:
        row = self._target()
        if row is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.backend_action("apply", row.label)

        self.push_screen(
            ConfirmScreen(
                f"Apply {row.label} to the workspace? "
                "Uncommitted changes to its files are replaced.",
                "Apply",
            ),
            confirmed,
        )

    def action_branch(self) -> None:
        row = self._target()
        if row is None:
            return

        def check(value: str) -> str | None:
            if not value or any(c in value for c in " ~^:?*[\\") or value.startswith("-"):
                return "a git branch name: no spaces or ~^:?*[\\"
            return None

        def chosen(value: str | None) -> None:
            if value:
                self.backend_action("branch", row.label, value)

        self.push_screen(
            PromptScreen(f"Branch name for {row.label}:", f"{row.label}-branch", check), chosen
        )

    def action_show_tab(self, tab: str) -> None:
        self.main.query_one(TabbedContent).active = tab
        if tab == "logs":
            self._show_log()

    def action_filter(self) -> None:
        field = self.main.query_one("#filter", Input)
        field.display = True
        field.value = self.row_filter.text
        field.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.row_filter = RowFilter(event.value)
        event.input.display = bool(event.value)
        self._redraw_table()
        self.table.focus()

    def on_key(self, event: Any) -> None:
        field = self.main.query_one("#filter", Input)
        if event.key == "escape" and field.has_focus:
            field.value = ""
            self.row_filter = RowFilter()
            field.display = False
            self._redraw_table()
            self.table.focus()

    def action_sort(self) -> None:
        metric_keys, param_keys = columns(self.rows, self.only_changed)
        order = [*SORTABLE_FIXED, *metric_keys, *param_keys]
        if self.sort_column is not None and not self.sort_descending:
            self.sort_descending = True
        else:
            index = order.index(self.sort_column) + 1 if self.sort_column in order else 0
            self.sort_column = order[index % len(order)]
            self.sort_descending = False
        self.notify(
            f"sorted by {self.sort_column} {'↓' if self.sort_descending else '↑'}", timeout=2
        )
        self._redraw_table()

    def action_toggle_changed(self) -> None:
        self.only_changed = not self.only_changed
        self._redraw_table()

    def action_hide_column(self) -> None:
        metric_keys, param_keys = columns(self.rows, only_changed=False)
        known = set(metric_keys) | set(param_keys)
        hidden = ", ".join(sorted(self.hidden_columns)) or "none"

        def check(value: str) -> str | None:
            return None if value in known else "not a column: a metric or param key, as shown"

        def chosen(value: str | None) -> None:
            if value:
                self.hidden_columns.symmetric_difference_update({value})
                self._redraw_table()

        self.push_screen(
            PromptScreen(f"Column to hide, or to show again (hidden: {hidden}):", "", check),
            chosen,
        )

    @on(ExperimentsTable.HeaderSelected)
    def _sort_by_header(self, event: ExperimentsTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column in ("marks", "rev"):
            return
        self.sort_descending = column == self.sort_column and not self.sort_descending
        self.sort_column = column
        self._redraw_table()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.description and binding.action not in ("quit",):
                yield SystemCommand(
                    f"{binding.description} ({binding.key})",
                    f"the {binding.key} key",
                    lambda action=binding.action: self.run_action(action),
                )
