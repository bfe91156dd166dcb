"""`?`: every key of the app and what it does, made from the bindings themselves."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS = [
    ("click a header", "sort by that column (again: reverse)"),
    ("ctrl+p", "command palette: every action by name"),
]
"""What no binding of ours says: the mouse, and Textual's own palette key."""


class HelpScreen(ModalScreen[None]):
    """The keys, in a table."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = [*keys, *EXTRA_KEYS]

    def compose(self) -> ComposeResult:
        table = Table(title="catdog-tui keys", title_justify="left", expand=True)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("does")
        for key, does in self.keys:
            table.add_row(key, does)
        with VerticalScroll(classes="dialog"):
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
