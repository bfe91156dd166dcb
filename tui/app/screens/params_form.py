"""`e`: every key of the params files, typed and checked as you type, then Run or Queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tui.backend.errors import BackendError
from tui.backend.overrides import parse_override


@dataclass(frozen=True)
class FormResult:
    """The `-S` overrides of the changed fields, and where to run them."""

    set_params: list[str]
    queue: bool


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


class ParamsForm(ModalScreen[FormResult | None]):
    """One input per param; a bad value is named under its field and blocks both buttons."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, root: Path, params: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.root = root
        self.fields = [
            (file, key, _text(value))
            for file, values in params.items()
            for key, value in values.items()
        ]
        self.problems: dict[str, str] = {}

    def _field_id(self, index: int) -> str:
        return f"field-{index}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Params: change values, a,b,c for a grid (queued); enter moves on")
            with VerticalScroll(id="fields"):
                for index, (file, key, value) in enumerate(self.fields):
                    yield Label(f"{file}: {key}", classes="field-label")
                    yield Input(value=value, id=self._field_id(index))
                    yield Label("", id=f"{self._field_id(index)}-problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Run", variant="primary", id="run")
                yield Button("Queue", variant="default", id="queue")
                yield Button("Cancel", id="cancel")

    def _overrides(self) -> list[str]:
        changed = []
        for index, (file, key, original) in enumerate(self.fields):
            value = self.query_one(f"#{self._field_id(index)}", Input).value
            if value != original:
                changed.append(f"{file}:{key}={value}")
        return changed

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id is None or not event.input.id.startswith("field-"):
            return
        index = int(event.input.id.removeprefix("field-"))
        file, key, original = self.fields[index]
        problem = ""
        if event.value != original:
            try:
                parse_override(f"{file}:{key}={event.value}", self.root)
            except BackendError as error:
                problem = str(error).split(": ", 2)[-1]
        if problem:
            self.problems[event.input.id] = problem
        else:
            self.problems.pop(event.input.id, None)
        self.query_one(f"#{event.input.id}-problem", Label).update(problem)
        blocked = bool(self.problems)
        self.query_one("#run", Button).disabled = blocked or self._has_grid()
        self.query_one("#queue", Button).disabled = blocked

    def _has_grid(self) -> bool:
        try:
            return any(parse_override(item, self.root).is_sweep for item in self._overrides())
        except BackendError:
            return False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif not self.problems:
            self.dismiss(FormResult(self._overrides(), queue=event.button.id == "queue"))

    def action_cancel(self) -> None:
        self.dismiss(None)
