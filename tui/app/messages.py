"""Typed messages from workers to the app, defined in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.message import Message

from tui.app.image_tiles import ImageColumn
from tui.backend.box import BoxReading
from tui.backend.experiments import Experiment
from tui.backend.history import LiveData
from tui.backend.logtail import LogChunk
from tui.backend.service import Header


@dataclass
class ExperimentsLoaded(Message):
    """A fresh listing, and the runs that failed since the last one (name, why)."""

    rows: list[Experiment]
    header: Header
    failures: list[tuple[str, str]] = field(default_factory=list)
    pending: int = 0
    """Rows listed before their values were read (a first look); a full listing follows."""


@dataclass
class FilesChanged(Message):
    """Files the app shows changed on disk. Repeats merge in the queue, their paths too."""

    paths: set[Path]

    def can_replace(self, message: Message) -> bool:
        # Textual then drops this message for the pending one: hand it our paths.
        if isinstance(message, FilesChanged):
            message.paths |= self.paths
            return True
        return False


@dataclass
class LiveLoaded(Message):
    """DVCLive data of the experiments the charts show, keyed by row key."""

    generation: int
    data: dict[str, LiveData]


@dataclass
class ChartsRendered(Message):
    """A page of charts drawn off the event loop, with what the status line says."""

    generation: int
    text: str
    status: str
    page: int
    """The page drawn (the one asked for, kept within the pages there are)."""
    readout: Text = field(default_factory=Text)
    """The cursor's line: each curve's value at its step (empty without a cursor)."""
    cursor_chart: int | None = None
    """The chart with the cursor, of those shown (after the metric filter)."""
    cursor_x: float | None = None
    """The cursor's step, moved to the nearest the chart has."""


@dataclass
class ImagesLoaded(Message):
    """A page of the Images tab, read and scaled off the event loop, with its status line."""

    generation: int
    columns: list[ImageColumn]
    status: str
    width: int
    """Cells across a tile."""
    image_height: int
    per_row: int
    """Tiles on a row of a column."""
    column_width: int


@dataclass
class ActionDone(Message):
    """A backend action finished; `message` is what to tell the user."""

    message: str


@dataclass
class LogRead(Message):
    """New text of the followed log; applied only if `generation` is still the current one."""

    generation: int
    requested: int
    """The offset the read started from."""
    chunk: LogChunk
    note: str
    """What to say when there is no log."""


@dataclass
class MachineRead(Message):
    """A reading of the machine: GPUs, CPU, RAM."""

    reading: BoxReading


@dataclass
class SettingsLoaded(Message):
    """The view chosen in the last session (see `Backend.view_settings`)."""

    settings: dict[str, Any]


@dataclass
class RemoteLoaded(Message):
    """The experiments of the git remote that are not here (status "remote")."""

    rows: list[Experiment]


@dataclass
class CustomPlotDrawn(Message):
    """The Custom tab's chart, drawn off the event loop for request `generation`."""

    generation: int
    text: str
