"""The Images tab: the images DVCLive logged, one column per charted experiment, in pages, with
a step slider for images logged per step.

The widget owns its page, its step, its decoded images and its loading worker: the backend
gives each image's bytes (disk, git or DVC's cache), the worker decodes and scales them (PIL),
and a page loaded for an older request is dropped. Pictures are drawn by textual-image: the
Kitty graphics protocol or Sixel where the terminal answers that it has them, half-blocks
elsewhere. `CATDOG_TUI_IMAGES` picks one (auto, tgp, sixel, halfcell); the tests use
half-blocks, the same in any terminal.
"""

from __future__ import annotations

import math
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PIL import Image as PILImage
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

# textual-image asks the terminal what it can draw when it is imported: this module is imported
# with the app, before Textual takes the terminal's input (the answer would be lost after).
from textual_image._terminal import get_cell_size
from textual_image.renderable import Image as AutoRenderable
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.renderable.unicode import Image as UnicodeRenderable
from textual_image.widget import HalfcellImage, SixelImage, TGPImage
from textual_image.widget import Image as AutoImage

from tui.app.charts import colour_for
from tui.app.image_tiles import GAP, MIN_TILE_WIDTH, ImageCache, ImageColumn, Tile, fit, tile_layout
from tui.app.messages import ImagesLoaded
from tui.backend.experiments import Experiment
from tui.backend.history import LiveData
from tui.backend.images import LoggedImage, at_step, logged_image, steps_of
from tui.backend.live import IMAGE_SUFFIXES
from tui.backend.service import Backend

RENDERER_VARIABLE = "CATDOG_TUI_IMAGES"
ImageWidget = Callable[[PILImage.Image], Widget]
RENDERERS: dict[str, ImageWidget] = {
    "auto": AutoImage,
    "tgp": TGPImage,
    "kitty": TGPImage,
    "sixel": SixelImage,
    "halfcell": HalfcellImage,
}
EMPTY = "Select experiments with space to see their images; the highlighted one shows meanwhile."
NONE_LOGGED = (
    "No images logged for the charted experiments: DVCLive's log_image writes them under "
    "dvclive/plots/images/ (per step: a folder per image, a file per step, as samples/3.png)."
)
SLIDER_WIDTH = 24


def renderer(name: str | None) -> tuple[ImageWidget, tuple[int, int], str | None]:
    """The image widget for a `CATDOG_TUI_IMAGES` value, the pixels of a cell it draws with
    (width, height), and what was wrong with the value, if anything."""
    problem = None
    if name not in RENDERERS:
        if name:
            choices = ", ".join(RENDERERS)
            problem = (f"{RENDERER_VARIABLE}={name!r} is not one of {choices}: "
                       "images are drawn as the terminal allows")  # fmt: skip
        name = "auto"
    widget = RENDERERS[name]
    cells_of_text = widget is HalfcellImage or (
        name == "auto" and AutoRenderable in (HalfcellRenderable, UnicodeRenderable)
    )
    # Half-blocks draw two square pixels a cell; the graphics protocols draw real pixels.
    cell = (1, 2) if cells_of_text else tuple(get_cell_size())
    return widget, (cell[0], cell[1]), problem


def slider(index: int, count: int, width: int = SLIDER_WIDTH) -> str:
    """A text slider: the track, and a knob where `index` of `count` is."""
    knob = round(index * (width - 1) / max(count - 1, 1))
    return "━" * knob + "●" + "─" * (width - 1 - knob)


class ImagesPanel(Vertical):
    """A status line (step slider, page), then one column of images per charted experiment."""

    def __init__(self, backend: Backend, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backend = backend
        self.image_widget, self.cell, self.problem = renderer(os.environ.get(RENDERER_VARIABLE))
        self.page = 0
        self.steps: list[int] = []
        self.step_index: int | None = None
        """Where the slider is; None follows the latest step (a run logging new ones)."""
        self.generation = 0
        self.loaded = 0
        """Pages shown so far (tests wait on it)."""
        self.captions: list[tuple[str, list[str]]] = []
        """What is shown: each column's experiment and captions (tests and copy)."""
        self.status = ""
        self._charted: list[tuple[Experiment, str, list[LoggedImage]]] = []
        self._cache = ImageCache()
        self._shown: object = None
        self._due = True

    def compose(self) -> ComposeResult:
        yield Static("", id="images-status")
        yield Horizontal(id="images-columns")

    def on_mount(self) -> None:
        if self.problem:
            self.notify(self.problem, severity="warning", markup=False)

    # What to show ------------------------------------------------------------------------

    def show(self, experiments: Sequence[Experiment], data: Mapping[str, LiveData],
             colours: Mapping[str, int]) -> None:  # fmt: skip
        """New data: the charted experiments' images, each experiment in its chart colour."""
        self._charted = [
            (row, colour_for(colours.get(row.key, index)),
             [logged_image(path) for path in data.get(row.key, LiveData()).images])
            for index, row in enumerate(experiments)
        ]  # fmt: skip
        self.steps = steps_of(image for _, _, images in self._charted for image in images)
        if self.step_index is not None and self.step_index >= len(self.steps):
            self.step_index = None
        self.redraw()

    @property
    def current_step(self) -> int | None:
        """The step the slider is at; None when no image is logged per step."""
        if not self.steps:
            return None
        return self.steps[-1 if self.step_index is None else self.step_index]

    def move_step(self, steps: int) -> None:
        """Move the slider by `steps`; at the last step it follows new ones."""
        if not self.steps:
            return
        last = len(self.steps) - 1
        index = min(max((last if self.step_index is None else self.step_index) + steps, 0), last)
        self.step_index = None if index == last else index
        self.redraw()

    def turn(self, pages: int) -> None:
        """Next (1) or previous (-1) page; stays within the pages there are."""
        self.page += pages
        self.redraw()

    # Loading -----------------------------------------------------------------------------

    def on_show(self, event: events.Show) -> None:
        if self._due:
            self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Load the current page in a worker, at the size the panel has now (only while the
        panel is shown: images are read for nothing otherwise)."""
        self.generation += 1
        width, height = self.size
        if not self.is_on_screen or width <= 0 or height <= 0:
            self._due = True
            return
        self._due = False
        step = self.current_step
        shown = [(row, colour, sorted(at_step(images, step).values(), key=lambda i: i.name))
                 for row, colour, images in self._charted]  # fmt: skip
        fits = max(1, (width + GAP) // (MIN_TILE_WIDTH + GAP))
        columns = shown[:fits]
        column_width = (width - GAP * (len(columns) - 1)) // max(len(columns), 1)
        count = max((len(images) for _, _, images in columns), default=0)
        layout = tile_layout(count, column_width, height - 2)  # the status line, the names
        pages = max(1, math.ceil(count / layout.per_page))
        self.page = min(max(self.page, 0), pages - 1)
        first = self.page * layout.per_page
        page = [(row, colour, images[first : first + layout.per_page])
                for row, colour, images in columns]  # fmt: skip
        status = self._status(count, pages, len(columns), len(shown), step)
        self.load_page(page, layout.width, layout.image_height, layout.columns, column_width,
                       status, self.generation)  # fmt: skip

    def _status(self, count: int, pages: int, columns: int, charted: int, step: int | None) -> str:
        if not charted:
            return EMPTY
        if not count:
            return NONE_LOGGED
        parts = []
        if step is not None:
            index = self.steps.index(step)
            parts.append(f"step {step}  {slider(index, len(self.steps))}  "
                         f"{index + 1} of {len(self.steps)}  (, and . move)")  # fmt: skip
        parts.append(f"{count} images" if count > 1 else "1 image")
        if pages > 1:
            parts.append(f"page {self.page + 1}/{pages}  [ ] or pgup/pgdn")
        if columns < charted:
            parts.append(f"{columns} of {charted} experiments fit: widen the terminal")
        return "   ".join(parts)

    @work(thread=True, exclusive=True, group="images", exit_on_error=False,
          description="read logged images")  # fmt: skip
    def load_page(
        self, page: list[tuple[Experiment, str, list[LoggedImage]]], width: int,
        image_height: int, per_row: int, column_width: int, status: str, generation: int,
    ) -> None:  # fmt: skip
        """Read, decode and scale one page of images (a thread: files, git and PIL block)."""
        columns = []
        for row, colour, images in page:
            tiles = []
            for image in images:
                data = self.backend.image_bytes(row, image.path)
                decoded = self._cache.get(row.key, image.path, data)
                caption = image.name.rsplit("/", 1)[-1]
                stem, suffix = posixpath.splitext(caption)
                if suffix.lower() in IMAGE_SUFFIXES:
                    caption = stem  # the name says what it shows; its format says nothing
                if image.step is not None:
                    caption += f" · step {image.step}"
                if decoded is None:
                    note = "not readable" if data is not None else "not there"
                    tiles.append(Tile(caption, None, (width, image_height), note))
                else:
                    fitted = fit(decoded, width, image_height, self.cell)
                    tiles.append(Tile(caption, fitted.image, fitted.cells))
            note = "" if tiles else "no images logged"
            columns.append(ImageColumn(row.label, colour, tuple(tiles), note))
            if get_current_worker().is_cancelled:
                return
        self.post_message(ImagesLoaded(generation, columns, status, width, image_height,
                                       per_row, column_width))  # fmt: skip

    # Showing -----------------------------------------------------------------------------

    async def on_images_loaded(self, message: ImagesLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        if message.status != self.status:
            self.status = message.status
            self.query_one("#images-status", Static).update(Text(message.status, style="dim"))
        shown = (message.columns, message.width, message.image_height, message.per_row,
                 message.column_width)  # fmt: skip
        if shown != self._shown:
            self._shown = shown
            holder = self.query_one("#images-columns", Horizontal)
            await holder.remove_children()
            await holder.mount_all([self._column(column, message) for column in message.columns])
            self.captions = [(c.label, [t.caption for t in c.tiles]) for c in message.columns]
        self.loaded += 1

    def _column(self, column: ImageColumn, layout: ImagesLoaded) -> Vertical:
        name = _cut(Text(column.label, style=f"bold {column.colour}"), layout.column_width)
        rows: list[Widget] = [Static(name, classes="image-name")]
        if column.note:
            rows.append(Static(Text(column.note, style="dim"), classes="image-name"))
        for first in range(0, len(column.tiles), layout.per_row):
            tiles = column.tiles[first : first + layout.per_row]
            line = Horizontal(*(self._tile(tile, layout) for tile in tiles), classes="image-row")
            line.styles.height = layout.image_height + 1
            rows.append(line)
        widget = Vertical(*rows, classes="image-column")
        widget.styles.width = layout.column_width
        return widget

    def _tile(self, tile: Tile, layout: ImagesLoaded) -> Vertical:
        if tile.image is None:
            picture: Widget = Static(Text(tile.note, style="dim italic"), classes="image-missing")
            picture.styles.width, picture.styles.height = layout.width, layout.image_height
        else:
            picture = self.image_widget(tile.image)
            picture.styles.width, picture.styles.height = tile.cells
        # A picture narrower or shorter than its box keeps the captions of a row in line.
        box = Vertical(picture, classes="image-box")
        box.styles.height = layout.image_height
        caption = Static(_cut(Text(tile.caption), layout.width), classes="image-caption")
        widget = Vertical(box, caption, classes="image-tile")
        widget.styles.width = layout.width
        widget.styles.height = layout.image_height + 1
        return widget


def _cut(text: Text, width: int) -> Text:
    """One line of at most `width` cells, ending in … where it was cut."""
    text.truncate(width, overflow="ellipsis")
    return text
