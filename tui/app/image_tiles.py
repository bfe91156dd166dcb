"""What the Images tab shows where: tiles that fit the panel, and images decoded and scaled
off the event loop (PIL), the last good one kept when a file does not decode.

No widgets here: the panel (widgets/images.py) lays these out. A DVCLive run writes its PNGs in
place, so a read may catch one half-written; that read keeps the image decoded before.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image

MIN_TILE_WIDTH = 16
"""Narrower, a caption says too little and a picture shows too little."""
MAX_TILE_WIDTH = 48
GAP = 1
"""Cells between tiles, and between experiments' columns."""
KEPT = 256
"""Decoded images kept (small: they are scaled to a tile before they are shown)."""


@dataclass(frozen=True)
class TileLayout:
    """A grid of tiles: each an image above its one-line caption."""

    columns: int
    rows: int
    width: int
    """Cells across a tile."""
    image_height: int
    """Rows of a tile's image (the caption is one more)."""

    @property
    def per_page(self) -> int:
        """Tiles on one page."""
        return self.columns * self.rows


def tile_layout(count: int, width: int, height: int) -> TileLayout:
    """The biggest tiles that show `count` images in the fewest pages, in `width` x `height`
    cells. An image is given a box twice as wide as tall in cells: square, in half-blocks."""
    best: tuple[tuple[int, int], TileLayout] | None = None
    most = max(1, (width + GAP) // (MIN_TILE_WIDTH + GAP))
    for columns in range(1, most + 1):
        tile = min((width - GAP * (columns - 1)) // columns, MAX_TILE_WIDTH)
        image_height = max(1, min(tile // 2, height - 1))
        rows = max(1, height // (image_height + 1))
        layout = TileLayout(columns, rows, max(tile, 1), image_height)
        score = (-math.ceil(max(count, 1) / layout.per_page), tile)
        if best is None or score > best[0]:
            best = (score, layout)
    assert best is not None
    return best[1]


@dataclass(frozen=True)
class Tile:
    """One image to show, scaled to its cells, or why there is none."""

    caption: str
    image: Image.Image | None
    cells: tuple[int, int] = (0, 0)
    """Width and height of the scaled image, in cells."""
    note: str = ""


@dataclass(frozen=True)
class ImageColumn:
    """One experiment's images on the current page."""

    label: str
    colour: str
    tiles: tuple[Tile, ...]
    note: str = ""
    """Said under the name when there are no tiles."""


def decode(data: bytes) -> Image.Image | None:
    """An image file's pixels, in RGB; None if they do not decode (half-written, not an image,
    a format PIL does not read)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
        return image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def fit(image: Image.Image, width: int, height: int, cell: tuple[int, int]) -> Tile:
    """The image scaled into `width` x `height` cells of `cell` pixels (width, height), its
    shape kept; a tile without a caption yet."""
    box_w, box_h = width * cell[0], height * cell[1]
    scale = min(box_w / image.width, box_h / image.height)
    cells_w = max(1, min(width, round(image.width * scale / cell[0])))
    cells_h = max(1, min(height, round(image.height * scale / cell[1])))
    pixels = (max(1, cells_w * cell[0]), max(1, cells_h * cell[1]))
    return Tile("", image.resize(pixels, Image.Resampling.LANCZOS), (cells_w, cells_h))


class ImageCache:
    """The last good decode of each (experiment, file): a file that changed is decoded again,
    one that no longer decodes keeps its last good image. Safe from several threads."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._decoded: OrderedDict[tuple[str, str], tuple[bytes, Image.Image]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, path: str, data: bytes | None) -> Image.Image | None:
        """The image of `path` for the experiment `key`, given the file's bytes now (None: not
        there now)."""
        slot = (key, path)
        digest = hashlib.blake2b(data, digest_size=16).digest() if data is not None else b""
        with self._lock:
            known = self._decoded.get(slot)
            if known is not None:
                self._decoded.move_to_end(slot)
                if known[0] == digest or data is None:
                    return known[1]
        image = decode(data) if data is not None else None
        if image is None:
            return known[1] if known is not None else None
        with self._lock:
            self._decoded[slot] = (digest, image)
            while len(self._decoded) > self.kept:
                self._decoded.popitem(last=False)
        return image
