"""`e`: every key of the params files, checked as you type, then Run or Queue.

A field is checked in a worker (Hydra's grammar and the key's type, through the backend); Run
and Queue check the whole launch first, the project's own rules included (ranges, choices:
`.catdog-tui.toml`), and the form stays open with the reason when it is refused. The buttons
are docked at the bottom: they show however small the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label
from textual.worker import get_current_worker

from tui.backend.errors import BackendError
from tui.backend.service import Backend


@dataclass(frozen=True)
class FormResult:
    """The `-S` overrides of the changed fields, and where to run them."""

    set_params: list[str]
    queue: bool


@dataclass
class FieldChecked(Message):
    """The verdict on one field's value."""

    field_id: str
    value: str
    problem: str | None


@dataclass
class LaunchChecked(Message):
    """The verdict on the whole launch."""

    result: FormResult
    problem: str | None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


class ParamsForm(ModalScreen[FormResult | None]):
    """One input per param; a bad value is named under its field and blocks both buttons."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, backend: Backend, params: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.backend = backend
        self.fields = [
            (file, key, _text(value))
            for file, values in params.items()
            for key, value in values.items()
        ]
        self.problems: dict[str, str] = {}

    def _field_id(self, index: int) -> str:
        return f"field-{index}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide form"):
            yield Label("Params: change values; a,b,c makes a grid (queued). Enter moves on.")
            with VerticalScroll(id="fields"):
                for index, (file, key, value) in enumerate(self.fields):
                    yield Label(Text(f"{file}: {key}"), classes="field-label")
                    yield Input(value=value, id=self._field_id(index))
                    yield Label("", id=f"{self._field_id(index)}-problem", classes="problem")
            yield Label("", id="launch-problem", classes="problem")
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
        self.query_one("#launch-problem", Label).update("")
        if event.value == original:
            self._verdict(event.input.id, None)
            return
        self.check_field(event.input.id, file, key, event.value)

    @work(thread=True, exclusive=True, group="check-field", exit_on_error=False,
          description="check a param")  # fmt: skip
    def check_field(self, field_id: str, file: str, key: str, value: str) -> None:
        """Hydra's grammar and the key's type (Hydra is imported off the event loop)."""
        problem = self.backend.check_param(file, key, value)
        if not get_current_worker().is_cancelled:
            self.post_message(FieldChecked(field_id, value, problem))

    def on_field_checked(self, message: FieldChecked) -> None:
        if self.query_one(f"#{message.field_id}", Input).value == message.value:
            self._verdict(message.field_id, message.problem)

    def _verdict(self, field_id: str, problem: str | None) -> None:
        if problem:
            self.problems[field_id] = problem
        else:
            self.problems.pop(field_id, None)
        self.query_one(f"#{field_id}-problem", Label).update(Text(problem or ""))
        blocked = bool(self.problems)
        self.query_one("#run", Button).disabled = blocked
        self.query_one("#queue", Button).disabled = blocked

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif not self.problems:
            self.query_one("#launch-problem", Label).update(Text("checking...", style="dim"))
            self.check_launch(FormResult(self._overrides(), queue=event.button.id == "queue"))

    @work(thread=True, exclusive=True, group="check-launch", exit_on_error=False,
          description="check the launch")  # fmt: skip
    def check_launch(self, result: FormResult) -> None:
        """Everything the backend checks before a launch, the project's own rules too."""
        try:
            self.backend.check_overrides(result.set_params, queue=result.queue)
            problem = None
        except BackendError as error:
            problem = str(error)
        self.post_message(LaunchChecked(result, problem))

    def on_launch_checked(self, message: LaunchChecked) -> None:
        if message.problem:
            self.query_one("#launch-problem", Label).update(Text(message.problem))
        else:
            self.dismiss(message.result)

    def action_cancel(self) -> None:
        self.dismiss(None)
