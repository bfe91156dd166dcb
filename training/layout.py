"""Where the stages put things: the image folders of `data/raw`, the model, DVCLive's folder."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from training.stage import StageError

RAW_DIR = Path("data/raw")
SPLITS = ("train", "validation")
CLASS_DIRS = ("cats", "dogs")
"""Folder names, in label order: label 0 is a cat, label 1 a dog."""
CLASS_NAMES = ("cat", "dog")
"""What plots and the confusion matrix call the classes."""
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif"})

MODEL_FILE = Path("models/model.keras")
METRICS_CSV = Path("metrics.csv")
LIVE_DIR = Path("dvclive")


def count_images(folder: Path) -> int:
    """Images directly inside `folder` (what Keras' image_dataset_from_directory will load)."""
    return sum(1 for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)


def check_raw_dir(raw_dir: Path = RAW_DIR) -> dict[str, dict[str, int]]:
    """Image counts per split and class; StageError if a folder is missing or empty."""
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        counts[split] = {}
        for class_dir in CLASS_DIRS:
            folder = raw_dir / split / class_dir
            if not folder.is_dir():
                raise StageError(
                    f"{folder} is missing: run the data stage first (`dvc repro data`, "
                    "or `dvc exp run`, which runs it)"
                )
            found = count_images(folder)
            if found == 0:
                raise StageError(f"{folder} holds no images: rerun the data stage")
            counts[split][class_dir] = found
    return counts


# The formats TensorFlow's decode_image reads; Pillow may open more (TIFF, WebP) that it cannot.
DECODABLE_FORMATS = frozenset({"JPEG", "PNG", "BMP", "GIF"})


def _decode_problem(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            if image.format not in DECODABLE_FORMATS:
                return f"it is {image.format}, which TensorFlow does not decode"
            image.load()
    except UnidentifiedImageError:
        return "not a JPEG, PNG, BMP or GIF image"
    except (OSError, SyntaxError, ValueError) as error:
        text = str(error).strip()
        return text.splitlines()[0] if text else type(error).__name__
    return None


def check_images_decode(raw_dir: Path = RAW_DIR, workers: int = 4) -> None:
    """StageError naming the first file (in sorted order) that does not decode as an image,
    so that training never stops mid-epoch on a broken file."""
    paths = sorted(
        path
        for split in SPLITS
        for class_dir in CLASS_DIRS
        for path in (raw_dir / split / class_dir).iterdir()
        if path.suffix.lower() in IMAGE_SUFFIXES
    )
    # Pillow decodes without the GIL: threads use every core.
    with ThreadPoolExecutor(workers) as pool:
        for path, problem in zip(paths, pool.map(_decode_problem, paths), strict=True):
            if problem is not None:
                where = path.relative_to(raw_dir)
                raise StageError(
                    f"{where} does not decode as an image ({problem.strip(' :')}): remove or "
                    "replace it in the dataset, then run the data stage again"
                )
