"""Typed messages from workers to the app, defined in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.message import Message

from tui.backend.experiments import Experiment
from tui.backend.history import LiveData


@dataclass
class ExperimentsLoaded(Message):
    """A fresh listing."""

    rows: list[Experiment]
    header: str


@dataclass
class FilesChanged(Message):
    """Something the app shows changed on disk. Repeats merge in the queue."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FilesChanged)


@dataclass
class LiveLoaded(Message):
    """DVCLive data of the experiments the charts show, keyed by row key."""

    data: dict[str, LiveData]


@dataclass
class ChartsRendered(Message):
    """Charts drawn off the event loop."""

    text: Text


@dataclass
class ActionDone(Message):
    """A backend action finished; `message` is what to tell the user."""

    message: str


@dataclass
class LogRead(Message):
    """New text of the highlighted run's log, read from `offset` of `path` (None: no log)."""

    path: Path | None
    offset: int
    text: str
