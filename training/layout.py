"""Where the stages put things: the image folders of `data/raw`, the model, DVCLive's folder."""

from __future__ import annotations

from pathlib import Path

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
