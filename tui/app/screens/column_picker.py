"""A column of the listing, picked from a list that narrows as you type (the Custom tab's axes)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


def column_matches(name: str, text: str) -> bool:
    """Every word of `text` is part of the name, case-insensitive."""
    lowered = name.lower()
    return all(word in lowered for word in text.lower().split())


class ColumnPicker(ModalScreen[str | None]):
    """Type to narrow the list, up/down to move, enter chooses, escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # The field keeps the focus (typing narrows the list); the arrows move the list.
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(
        self, question: str, metrics: list[str], params: list[str], current: str | None = None,
        *, params_first: bool = False,
    ) -> None:  # fmt: skip
        """`params_first`: for an x axis, where a param usually goes."""
        super().__init__()
        self.question = question
        listed = [(name, "metric") for name in metrics], [(name, "param") for name in params]
        self.choices = [*listed[1], *listed[0]] if params_first else [*listed[0], *listed[1]]
        self.current = current
        self._filled: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            yield Input(placeholder="type part of a name", id="column-filter")
            yield OptionList(id="columns", markup=False)
            yield Label("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self._fill("")
        listed = self.query_one(OptionList)
        if self.current is not None and any(name == self.current for name, _ in self.choices):
            listed.highlighted = listed.get_option_index(self.current)
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        if text == self._filled:
            return  # the field's first Changed: the list is that already
        self._filled = text
        listed = self.query_one(OptionList)
        listed.clear_options()
        listed.add_options(
            Option(Text.assemble(name, (f"  {kind}", "dim")), id=name)
            for name, kind in self.choices
            if column_matches(name, text)
        )
        if listed.option_count:
            listed.highlighted = 0
        problem = "" if listed.option_count else f"no column matches {text!r}"
        self.query_one("#problem", Label).update(Text(problem))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self.dismiss(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        listed = self.query_one(OptionList)
        if step > 0:
            listed.action_cursor_down()
        else:
            listed.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
