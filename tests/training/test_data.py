"""The data stage: synthetic images, the real download path (offline), all-or-nothing writes."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PARAMS, run
from training import synthetic
from training.data import prepare
from training.download import ARCHIVE_BYTES, download_dataset
from training.layout import CLASS_DIRS, SPLITS, check_images_decode, check_raw_dir
from training.params import DataParams
from training.stage import StageError


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def synthetic_params(train: int = 3, validation: int = 2) -> DataParams:
    return DataParams(
        source="synthetic",
        url="https://example.invalid/unused.zip",
        synthetic_train_per_class=train,
        synthetic_validation_per_class=validation,
    )


def test_synthetic_dataset_has_the_original_layout_and_counts(tmp_path: Path) -> None:
    counts = prepare(synthetic_params(4, 2), tmp_path / "raw")
    assert counts == {"train": {"cats": 4, "dogs": 4}, "validation": {"cats": 2, "dogs": 2}}
    image = Image.open(tmp_path / "raw" / "train" / "cats" / "cat.0.jpg")
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (128, 128))
    assert (tmp_path / "raw" / "validation" / "dogs" / "dog.1.jpg").is_file()


def test_synthetic_dataset_is_deterministic_and_splits_differ(tmp_path: Path) -> None:
    synthetic.write_dataset(tmp_path / "a", 3, 3)
    synthetic.write_dataset(tmp_path / "b", 3, 3)
    first, second = digest_tree(tmp_path / "a"), digest_tree(tmp_path / "b")
    assert first == second
    train_cat = first["train/cats/cat.0.jpg"]
    assert train_cat != first["validation/cats/cat.0.jpg"]
    assert len(set(first.values())) == len(first), "every image is different"


def test_synthetic_classes_differ_in_pattern_not_in_colour(tmp_path: Path) -> None:
    synthetic.write_dataset(tmp_path, 40, 1)

    def mean_colour_and_edges(class_dir: str) -> tuple[np.ndarray, float]:
        pixels = [
            np.asarray(Image.open(path), dtype=np.float64)
            for path in sorted((tmp_path / "train" / class_dir).glob("*.jpg"))
        ]
        colour = np.mean([p.mean(axis=(0, 1)) for p in pixels], axis=0)
        # Stripes make many strong horizontal-or-vertical steps; a few patches make few.
        edges = float(np.mean([np.abs(np.diff(p.mean(axis=2), axis=1)).mean() for p in pixels]))
        return colour, edges

    cat_colour, cat_edges = mean_colour_and_edges("cats")
    dog_colour, dog_edges = mean_colour_and_edges("dogs")
    assert np.abs(cat_colour - dog_colour).max() < 25, "colour alone must not give the class away"
    assert cat_edges > 1.3 * dog_edges, "cats are striped, dogs mostly plain"


def make_archive(path: Path, per_class: int, *, root: str = "cats_and_dogs_filtered") -> Path:
    source = path.parent / "archive-source"
    synthetic.write_dataset(source, per_class, per_class)
    with zipfile.ZipFile(path, "w") as zipped:
        for file in sorted(source.rglob("*.jpg")):
            zipped.write(file, f"{root}/{file.relative_to(source)}")
    return path


def test_download_extracts_an_archive_of_the_published_layout(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "mirror.zip", 2)
    raw = tmp_path / "data" / "raw"
    raw.parent.mkdir()
    download_dataset(archive.as_uri(), raw, verify_published=False)
    assert check_raw_dir(raw) == {split: dict.fromkeys(CLASS_DIRS, 2) for split in SPLITS}
    # The archive stays in the cache: a second experiment does not download again.
    archive.unlink()
    download_dataset(archive.as_uri(), raw, verify_published=False)
    assert check_raw_dir(raw)["train"]["cats"] == 2


def test_published_archive_checks_refuse_a_wrong_download(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / "cats_and_dogs_filtered.zip", 1)
    assert archive.stat().st_size != ARCHIVE_BYTES
    raw = tmp_path / "raw"
    with pytest.raises(StageError, match=f"expected {ARCHIVE_BYTES}: the download was cut"):
        download_dataset(archive.as_uri(), raw)
    assert not raw.exists()


def test_offline_download_fails_with_one_line_naming_synthetic(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    synthetic.write_dataset(raw, 1, 1)
    before = digest_tree(raw)
    # Port 9 on loopback refuses at once: the network itself is never touched.
    with pytest.raises(StageError) as error:
        download_dataset("http://127.0.0.1:9/cats_and_dogs_filtered.zip", raw)
    message = str(error.value)
    assert "cannot download http://127.0.0.1:9/" in message
    assert "data.source=synthetic" in message
    assert "\n" not in message
    assert digest_tree(raw) == before, "a failed download leaves the old data in place"


def test_a_corrupt_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(StageError, match="is not a zip archive: delete it"):
        download_dataset(archive.as_uri(), tmp_path / "raw", verify_published=False)


def test_data_stage_runs_as_a_module(tmp_path: Path) -> None:
    text = PARAMS.read_text()
    text = text.replace("source: url ", "source: synthetic").replace(
        "synthetic_train_per_class: 1000", "synthetic_train_per_class: 3"
    )
    (tmp_path / "params.yaml").write_text(
        text.replace("synthetic_validation_per_class: 500", "synthetic_validation_per_class: 2")
    )
    done = run(["python", "-m", "training.data"], tmp_path)
    assert "train: 6 images, validation: 4 images" in done.stdout
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["raw"], "no scratch folder is left"


def test_train_stage_without_data_says_to_run_the_data_stage(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text(PARAMS.read_text())
    done = run(["python", "-m", "training.train"], tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: data/raw/train/cats is missing: run the data stage first "
        "(`dvc repro data`, or `dvc exp run`, which runs it)"
    )


def test_the_first_image_that_does_not_decode_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    synthetic.write_dataset(raw, 3, 2)
    check_images_decode(raw)
    # A download cut short (a truncated JPEG) and a file that is no image at all.
    cut = raw / "validation" / "dogs" / "dog.1.jpg"
    cut.write_bytes(cut.read_bytes()[:300])
    (raw / "train" / "dogs" / "dog.2.jpg").write_text("<html>not found</html>")
    with pytest.raises(StageError) as error:
        check_images_decode(raw)
    message = str(error.value)
    assert message.startswith(
        "train/dogs/dog.2.jpg does not decode as an image (not a JPEG, PNG, BMP or GIF image)"
    )
    assert message.endswith("remove or replace it in the dataset, then run the data stage again")
    assert "\n" not in message
    (raw / "train" / "dogs" / "dog.2.jpg").unlink()
    with pytest.raises(StageError, match=r"^validation/dogs/dog\.1\.jpg does not decode"):
        check_images_decode(raw)


def test_an_archive_with_a_broken_image_leaves_the_old_data(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    synthetic.write_dataset(raw, 1, 1)
    before = digest_tree(raw)
    source = tmp_path / "archive-source"
    synthetic.write_dataset(source, 2, 2)
    (source / "train" / "cats" / "cat.0.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    archive = tmp_path / "mirror.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted(source.rglob("*.jpg")):
            zipped.write(file, f"cats_and_dogs_filtered/{file.relative_to(source)}")
    params = DataParams(
        source="url",
        url=archive.as_uri(),
        synthetic_train_per_class=1,
        synthetic_validation_per_class=1,
    )
    with pytest.raises(StageError, match=r"^train/cats/cat\.0\.jpg does not decode"):
        prepare(params, raw)
    assert digest_tree(raw) == before
