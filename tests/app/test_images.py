"""The Images tab: DVCLive's logged images side by side per selected experiment, a step slider
for images logged per step, pages, and files that do not decode."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import TabbedContent
from textual_image.widget import HalfcellImage, SixelImage

from tests.app.image_repos import log_images
from tests.app.test_app import highlight, wait_until
from tests.backend.repos import make_repo
from tests.conftest import run
from tui.app.app import CatdogApp
from tui.app.image_tiles import ImageCache, decode, fit, tile_layout
from tui.app.widgets.images import renderer, slider
from tui.backend.service import Backend

SIZE = (120, 40)


def test_tiles_fit_the_panel_in_the_fewest_pages_at_the_biggest_size() -> None:
    few = tile_layout(2, 60, 20)
    assert few.per_page >= 2 and few.width * few.columns <= 60
    assert few.image_height + 1 <= 20
    many = tile_layout(100, 60, 20)
    assert many.width >= 16 and many.per_page > few.per_page
    # One tile in a narrow, short panel still fits.
    tiny = tile_layout(1, 10, 3)
    assert tiny.per_page == 1 and tiny.width <= 10 and tiny.image_height + 1 <= 3


def test_a_file_that_stops_decoding_keeps_its_last_good_image(tmp_path: Path) -> None:
    buffer = tmp_path / "good.png"
    Image.new("RGB", (8, 4), (200, 10, 10)).save(buffer)
    good = buffer.read_bytes()
    assert decode(good[: len(good) // 2]) is None  # caught mid-write
    assert decode(b"not an image") is None
    cache = ImageCache()
    assert cache.get("exp", "a.png", good[:20]) is None  # nothing good yet
    first = cache.get("exp", "a.png", good)
    assert first is not None and first.size == (8, 4)
    assert cache.get("exp", "a.png", good[:30]) is first
    assert cache.get("exp", "a.png", None) is first  # gone for a moment (rewritten)
    assert cache.get("other", "a.png", good[:30]) is None  # another experiment's file
    # A square picture in a 20 x 10 cell box of half-blocks (1 x 2 pixels a cell) is square.
    tile = fit(Image.new("RGB", (100, 100)), 20, 10, (1, 2))
    assert tile.cells == (20, 10) and tile.image is not None and tile.image.size == (20, 20)


def test_the_renderer_is_chosen_by_the_environment() -> None:
    widget, cell, problem = renderer("halfcell")
    assert widget is HalfcellImage and cell == (1, 2) and problem is None
    assert renderer("sixel")[0] is SixelImage
    _, _, problem = renderer("kittyy")
    assert problem is not None and "kittyy" in problem and "halfcell" in problem
    assert slider(0, 4, 9) == "●────────" and slider(3, 4, 9) == "━━━━━━━━●"


def images_repo(path: Path) -> Path:
    """A repository with no pipeline: DVCLive runs in its workspace, `dvc exp save` keeps it."""
    return make_repo(path, {"params.yaml": "lr: 0.1\n"})


def save_experiment(root: Path, variant: int, name: str) -> None:
    """Images logged by DVCLive in the workspace, saved as an experiment (`dvc exp save`)."""
    shutil.rmtree(root / "dvclive", ignore_errors=True)
    log_images(root, variant)
    run(["dvc", "exp", "save", "-n", name, "-I", "dvclive"], root)


@pytest.mark.slow
async def test_two_selected_experiments_side_by_side_with_a_step_slider(tmp_path: Path) -> None:
    root = images_repo(tmp_path / "repo")
    save_experiment(root, 0, "alpha")
    save_experiment(root, 1, "beta")
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await highlight(pilot, app, "alpha")
        await pilot.press("space")
        await highlight(pilot, app, "beta")
        await pilot.press("space", "7")
        assert app.query_one(TabbedContent).active == "images"
        panel = app.images
        await wait_until(pilot, lambda: len(panel.captions) == 2 and app.idle)
        (first, alpha), (second, beta) = panel.captions
        assert (first, second) == ("alpha", "beta"), "in the order they were selected"
        assert "00003_cat_as_dog" in alpha and "00010_dog_as_cat" in alpha
        assert "00004_cat_as_dog" in beta and "00018_cat_as_dog" in beta
        assert "samples · step 3" in alpha and "samples · step 3" in beta
        assert "step 3" in panel.status and "4 of 4" in panel.status
        # Side by side: beta's column starts right of alpha's, on the same rows.
        names = list(panel.query(".image-name"))
        assert names[0].region.y == names[1].region.y and names[1].region.x > names[0].region.x
        await pilot.press("comma", "comma")
        await wait_until(pilot, lambda: "samples · step 1" in panel.captions[0][1] and app.idle)
        assert "2 of 4" in panel.status
        assert "samples · step 1" in panel.captions[1][1]
        await pilot.press("full_stop")
        await wait_until(pilot, lambda: "3 of 4" in panel.status and app.idle)
        for _ in range(6):  # past the end: the slider stops at the last step
            await pilot.press("full_stop")
        await wait_until(pilot, lambda: "4 of 4" in panel.status and app.idle)
        assert "samples · step 3" in panel.captions[0][1]
        # The slider's keys belong to the Images tab: on another tab they change nothing.
        await pilot.press("1", "comma", "7")
        await wait_until(pilot, lambda: app.idle)
        assert "4 of 4" in panel.status
        assert not [n for n in app._notifications if n.severity == "error"]


@pytest.mark.slow
async def test_many_images_page_with_the_chart_keys(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    live = log_images(root, 1)
    for number in range(30):
        Image.new("RGB", (16, 16), (8 * number, 90, 90)).save(
            live / "plots" / "images" / "misclassified" / f"{100 + number:05d}_dog_as_cat.png"
        )
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_until(pilot, lambda: bool(app.view.rows) and app.idle)
        await pilot.press("7")
        panel = app.images
        await wait_until(pilot, lambda: "page 1/" in panel.status and app.idle)
        assert "34 images" in panel.status  # 30 + 3 misclassified + the per-step sample
        first = panel.captions[0][1]
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: "page 2/" in panel.status and app.idle)
        assert panel.captions[0][1] != first
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: "page 1/" in panel.status and app.idle)
        assert panel.captions[0][1] == first


@pytest.mark.slow
async def test_a_corrupt_image_does_not_break_the_tab(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    live = log_images(root, 0)
    folder = live / "plots" / "images" / "misclassified"
    good = (folder / "00003_cat_as_dog.png").read_bytes()
    (folder / "00001_dog_as_cat.png").write_bytes(good[: len(good) // 3])  # half-written
    (folder / "00002_dog_as_cat.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    app = CatdogApp(Backend.discover(root), show_machine=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.view.rows) and app.idle)
        await pilot.press("7")
        panel = app.images
        await wait_until(pilot, lambda: bool(panel.captions) and app.idle)
        captions = panel.captions[0][1]
        assert "00001_dog_as_cat" in captions and "00003_cat_as_dog" in captions
        assert len(panel.query(".image-missing")) == 2  # said, in place of the pictures
        # The file is written whole: it shows. Then caught half-written again: it stays.
        loaded = panel.loaded
        (folder / "00001_dog_as_cat.png").write_bytes(good)
        await wait_until(pilot, lambda: panel.loaded > loaded and app.idle
                         and len(panel.query(".image-missing")) == 1)  # fmt: skip
        loaded = panel.loaded
        (folder / "00001_dog_as_cat.png").write_bytes(good[:40])
        (folder / "00005_cat_as_dog.png").write_bytes(good)  # a change the tab must show
        await wait_until(pilot, lambda: panel.loaded > loaded and app.idle
                         and "00005_cat_as_dog" in panel.captions[0][1])  # fmt: skip
        assert len(panel.query(".image-missing")) == 1
        assert not [n for n in app._notifications if n.severity == "error"]
