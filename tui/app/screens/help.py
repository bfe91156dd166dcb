"""`?`: every key of the app and what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("up/down, j/k", "move between experiments"),
    ("space", "select or unselect the highlighted experiment for charts"),
    ("r", "run an experiment in the workspace with the current params"),
    ("e", "edit params, then run or queue (grid values: 0.1,0.01)"),
    ("w", "start queue workers"),
    ("s", "stop the highlighted run (or take it out of the queue)"),
    ("d", "remove the highlighted or selected experiments"),
    ("a", "apply the highlighted experiment to the workspace"),
    ("b", "make a git branch from the highlighted experiment"),
    ("l", "show the highlighted run's log"),
    ("/", "filter rows: words, or a comparison like eval.accuracy>0.9"),
    ("o", "sort by the next column (again: reverse)"),
    ("c", "show only the params that differ, or all"),
    ("h", "hide a column by name, or show it again"),
    ("click a header", "sort by that column (again: reverse)"),
    ("*", "star the highlighted experiment"),
    ("1 2 3 4", "Plots, Confusion matrix, Logs, Diff"),
    ("ctrl+p", "command palette: every action by name"),
    ("?", "this help"),
    ("q", "quit (runs go on; the next start shows them again)"),
]


class HelpScreen(ModalScreen[None]):
    """The keys, in a table."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(title="catdog-tui keys", title_justify="left", expand=True)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("does")
        for key, does in KEYS:
            table.add_row(key, does)
        with VerticalScroll(classes="dialog"):
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
