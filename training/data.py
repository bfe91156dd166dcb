"""Stage `data`: fill `data/raw` with `train/` and `validation/`, each with `cats/` and `dogs/`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from training import synthetic
from training.download import download_dataset
from training.layout import RAW_DIR, check_images_decode, check_raw_dir
from training.params import DataParams, load_params
from training.stage import run_stage

PUBLISHED_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"


def prepare(params: DataParams, raw_dir: Path = RAW_DIR) -> dict[str, dict[str, int]]:
    """Replace `raw_dir` with the dataset `params` describe; on failure the old one stays."""
    raw_dir.parent.mkdir(parents=True, exist_ok=True)
    if params.source == "url":
        download_dataset(
            params.url,
            raw_dir,
            verify_published=params.url == PUBLISHED_URL,
            check=check_images_decode,
        )
    else:
        with tempfile.TemporaryDirectory(dir=raw_dir.parent, prefix=".synthetic-") as scratch:
            staged = Path(scratch) / "raw"
            synthetic.write_dataset(
                staged, params.synthetic_train_per_class, params.synthetic_validation_per_class
            )
            check_images_decode(staged)
            shutil.rmtree(raw_dir, ignore_errors=True)
            staged.rename(raw_dir)
    return check_raw_dir(raw_dir)


def main() -> None:
    """Entry point of `python -m training.data`."""
    params = load_params()
    counts = prepare(params.data)
    summary = ", ".join(
        f"{split}: {sum(per_class.values())} images" for split, per_class in counts.items()
    )
    print(f"data/raw ready from {params.data.source} ({summary})")


if __name__ == "__main__":
    raise SystemExit(run_stage(main))
