"""Images logged by DVCLive itself, for the Images tab's tests: a few misclassified validation
images named by true and predicted class (as training/evaluate.py logs them), and a picture
logged per step (`samples/<step>.png`, the layout VS Code's extension shows with a slider)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.conftest import run

# Run by DVCLive in its own process and folder, as a training script would: `python log.py N`
# logs the N-th experiment's images (a cat's or a dog's face, drawn; a bar that grows by step).
LOG_IMAGES = """\
import sys
from PIL import Image, ImageDraw
from dvclive import Live

variant = int(sys.argv[1])

def face(kind, shade):
    image = Image.new("RGB", (48, 48), (30, 40 + shade, 70))
    draw = ImageDraw.Draw(image)
    fur = (230, 140, 40) if kind == "cat" else (150, 100, 60)
    if kind == "cat":
        draw.polygon([(8, 18), (14, 2), (22, 14)], fill=fur)
        draw.polygon([(40, 18), (34, 2), (26, 14)], fill=fur)
    else:
        draw.ellipse((2, 10, 14, 34), fill=(90, 60, 30))
        draw.ellipse((34, 10, 46, 34), fill=(90, 60, 30))
    draw.ellipse((8, 10, 40, 44), fill=fur)
    draw.ellipse((15, 20, 21, 26), fill=(20, 20, 20))
    draw.ellipse((27, 20, 33, 26), fill=(20, 20, 20))
    draw.ellipse((21, 30, 27, 35), fill=(200, 60, 90) if kind == "cat" else (10, 10, 10))
    return image

with Live(dvcyaml=None, save_dvc_exp=False) as live:
    for step in range(4):
        bar = Image.new("RGB", (48, 24), (20, 20, 30))
        ImageDraw.Draw(bar).rectangle((0, 6, 12 * (step + 1) - 1, 17), fill=(60, 200, 120))
        live.log_image(f"samples/{step}.png", bar)
        live.log_metric("loss", 1 / (step + 1 + variant))
        live.next_step()
    pairs = [("cat", "dog"), ("dog", "cat"), ("cat", "dog")][: 2 + variant]
    for number, (truth, predicted) in enumerate(pairs):
        index = 7 * number + 3 + variant
        live.log_image(f"misclassified/{index:05d}_{truth}_as_{predicted}.png",
                       face(truth, 30 * number))
"""


def log_images(folder: Path, variant: int) -> Path:
    """Run DVCLive in `folder` (made if need be) to log the `variant`-th images; its
    `dvclive/` folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.py").write_text(LOG_IMAGES)
    shutil.rmtree(folder / "dvclive", ignore_errors=True)
    run([sys.executable, "log.py", str(variant)], folder)
    return folder / "dvclive"


def logged_files(folder: Path, variant: int) -> dict[str, bytes]:
    """What DVCLive wrote for the `variant`-th images, by path under `folder`: the files of an
    experiment commit."""
    live = log_images(folder, variant)
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(live.rglob("*")) if path.is_file()}  # fmt: skip
