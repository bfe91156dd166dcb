"""Fetch and unpack the filtered cats-vs-dogs archive that Google hosts for the Keras tutorials.

Plain urllib rather than `keras.utils.get_file`: the data stage then starts without importing
TensorFlow, and an unreachable network becomes one clear line instead of Keras' generic error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from training.layout import CLASS_DIRS, SPLITS, count_images
from training.stage import StageError

ARCHIVE_BYTES = 68_606_236
"""Size of cats_and_dogs_filtered.zip as published; a download of another size is refused."""
ARCHIVE_ROOT = "cats_and_dogs_filtered"
EXPECTED_IMAGES = {"train": 1000, "validation": 500}
"""Images per class in each split of the published archive."""
TIMEOUT_S = 30
CHUNK_BYTES = 1 << 20

OFFLINE_HINT = (
    "no network? set data.source=synthetic for the offline stand-in "
    "(e.g. `dvc exp run -S data.source=synthetic`)"
)


def cache_dir() -> Path:
    """Where the archive is kept between runs, so that a new experiment does not download again."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "catdog-tui"


def _fetch(url: str, target: Path, expected_bytes: int | None) -> None:
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out, CHUNK_BYTES)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise StageError(f"cannot download {url} ({reason}): {OFFLINE_HINT}") from None
    size = partial.stat().st_size
    if expected_bytes is not None and size != expected_bytes:
        partial.unlink()
        raise StageError(
            f"{url} gave {size} bytes, expected {expected_bytes}: the download was cut or the "
            f"file changed; run again, or {OFFLINE_HINT}"
        )
    partial.replace(target)


def _extract(archive: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zipped:
            broken = zipped.testzip()
            if broken is not None:
                raise StageError(f"{archive} is corrupt at {broken}: delete it and run again")
            zipped.extractall(into)
    except zipfile.BadZipFile:
        raise StageError(f"{archive} is not a zip archive: delete it and run again") from None
    candidates = [into / ARCHIVE_ROOT, into]
    for root in candidates:
        if all((root / split).is_dir() for split in SPLITS):
            return root
    raise StageError(f"{archive} holds no {'/'.join(SPLITS)} folders: is it the right archive?")


def _check_counts(root: Path, expected: dict[str, int] | None) -> None:
    for split in SPLITS:
        for class_dir in CLASS_DIRS:
            folder = root / split / class_dir
            if not folder.is_dir():
                raise StageError(f"the archive has no {split}/{class_dir} folder")
            if expected is not None and count_images(folder) != expected[split]:
                raise StageError(
                    f"the archive's {split}/{class_dir} holds {count_images(folder)} images, "
                    f"expected {expected[split]}: delete {cache_dir()} and run again"
                )


def download_dataset(
    url: str,
    raw_dir: Path,
    *,
    verify_published: bool = True,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Download (or reuse) the archive and put its splits into `raw_dir`, all or nothing.

    `verify_published` checks the size and image counts of the published archive; it is off
    only for other archives of the same layout (mirrors, tests). `check` is run on the
    unpacked folders before they replace `raw_dir`.
    """
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / Path(url.rstrip("/")).name
    if not archive.is_file():
        _fetch(url, archive, ARCHIVE_BYTES if verify_published else None)
    with tempfile.TemporaryDirectory(dir=raw_dir.parent, prefix=".extract-") as scratch:
        root = _extract(archive, Path(scratch))
        _check_counts(root, EXPECTED_IMAGES if verify_published else None)
        staged = Path(scratch) / "raw"
        staged.mkdir()
        for split in SPLITS:
            (root / split).rename(staged / split)
        if check is not None:
            # Before the swap: a dataset with a broken image leaves the old data/raw in place.
            check(staged)
        shutil.rmtree(raw_dir, ignore_errors=True)
        staged.rename(raw_dir)
