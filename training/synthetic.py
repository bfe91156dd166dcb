"""An offline stand-in for the cats-vs-dogs images: deterministic JPEGs a small CNN can learn.

"Cats" are a striped triangle and "dogs" an ellipse with a few large patches, of random size,
colours, position, angle and pattern scale, over a noisy colour gradient with small distractor
rectangles in both classes. The class is in texture and shape, never in colour or brightness,
and survives the horizontal flips and rotations of the training augmentation: a model has to
learn local patterns, as a CNN on photographs does, and a small one learns them in a few epochs.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from training.layout import CLASS_DIRS, CLASS_NAMES, SPLITS

IMAGE_SIDE = 128
JPEG_QUALITY = 90
SEED = 20230301


def _background(rng: np.random.Generator) -> Image.Image:
    start, end = rng.uniform(0, 255, size=(2, 3))
    ramp = np.linspace(0.0, 1.0, IMAGE_SIDE)[:, None, None]
    angle = rng.uniform(0, 2 * math.pi)
    # A gradient in a random direction: mix of a vertical and a horizontal ramp.
    mix = abs(math.cos(angle)) * ramp + abs(math.sin(angle)) * ramp.transpose(1, 0, 2)
    mix = mix / max(mix.max(), 1e-6)
    pixels = start + (end - start) * mix
    pixels = pixels + rng.normal(0, 12, size=(IMAGE_SIDE, IMAGE_SIDE, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(channel) for channel in rng.integers(0, 256, size=3))
    return red, green, blue


def _texture(rng: np.random.Generator, class_index: int) -> np.ndarray:
    """Tabby stripes for cats, a few large patches for dogs, at random angles and colours."""
    ys, xs = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE].astype(np.float64)
    if class_index == 0:
        turn = rng.uniform(0, math.pi)
        period = rng.uniform(10, 16)
        pattern = np.sin(2 * math.pi * (xs * math.cos(turn) + ys * math.sin(turn)) / period) > 0
    else:
        pattern = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=bool)
        for _ in range(int(rng.integers(2, 5))):
            px, py = rng.uniform(0, IMAGE_SIDE, size=2)
            size = rng.uniform(10, 20)
            pattern |= (xs - px) ** 2 + (ys - py) ** 2 < size**2
    base, marks = np.array(_colour(rng)), np.array(_colour(rng))
    # Keep the two colours apart so that the pattern is visible after the resize.
    if np.abs(base - marks).sum() < 200:
        marks = 255 - base
    return np.where(pattern[..., None], marks, base)


def _draw_image(rng: np.random.Generator, class_index: int) -> Image.Image:
    image = _background(rng)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(0, 4))):
        x, y = rng.integers(0, IMAGE_SIDE - 12, size=2)
        w, h = rng.integers(4, 12, size=2)
        draw.rectangle((int(x), int(y), int(x + w), int(y + h)), fill=_colour(rng))

    radius = rng.uniform(0.35, 0.48) * IMAGE_SIDE
    cx, cy = rng.uniform(radius * 0.8, IMAGE_SIDE - radius * 0.8, size=2)
    mask = Image.new("L", image.size, 0)
    shape = ImageDraw.Draw(mask)
    if class_index == 0:
        turn = rng.uniform(0, 2 * math.pi)
        corners = [
            (
                cx + radius * math.cos(turn + k * 2 * math.pi / 3),
                cy + radius * math.sin(turn + k * 2 * math.pi / 3),
            )
            for k in range(3)
        ]
        shape.polygon(corners, fill=255)
    else:
        squash = rng.uniform(0.75, 1.0)
        shape.ellipse(
            (cx - radius, cy - radius * squash, cx + radius, cy + radius * squash), fill=255
        )
    body = Image.fromarray(_texture(rng, class_index).astype(np.uint8), mode="RGB")
    image.paste(body, (0, 0), mask)
    return image


def write_split(root: Path, split: str, per_class: int, *, seed: int = SEED) -> None:
    """Write `per_class` images of each class into `root/split/{cats,dogs}`."""
    split_index = SPLITS.index(split)
    for class_index, (class_dir, class_name) in enumerate(
        zip(CLASS_DIRS, CLASS_NAMES, strict=True)
    ):
        folder = root / split / class_dir
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(per_class):
            # One generator per image: any image can be regenerated alone, in any order.
            rng = np.random.default_rng([seed, split_index, class_index, number])
            image = _draw_image(rng, class_index)
            image.save(folder / f"{class_name}.{number}.jpg", quality=JPEG_QUALITY)


def write_dataset(
    root: Path, train_per_class: int, validation_per_class: int, *, seed: int = SEED
) -> None:
    """Write both splits of the synthetic dataset under `root`."""
    write_split(root, "train", train_per_class, seed=seed)
    write_split(root, "validation", validation_per_class, seed=seed)
