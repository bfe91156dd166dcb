"""Logged images by name and step, as DVCLive writes them and VS Code's DVC extension reads them.

DVCLive saves `log_image(name, ...)` as `<dir>/plots/images/<name>`; it has no step argument.
Images logged per step follow the convention VS Code's extension shows with a step slider: a
folder named after the image, one file per step named by the step (`samples/3.png`, what
Ultralytics' DVCLive callback writes). A leading step folder (`3/samples.png`) is read the same
way. Anything else is one image without a step (`misclassified/00012_cat_as_dog.png`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

IMAGES_FOLDER = "plots/images/"


@dataclass(frozen=True)
class LoggedImage:
    """One logged image file."""

    path: str
    """Repo-relative, as `LiveData.images` lists it."""
    name: str
    """What it is called across steps and experiments (the caption)."""
    step: int | None
    """Its step, for an image logged per step."""


def _step(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def logged_image(path: str) -> LoggedImage:
    """The name and step of an image file, from its path."""
    _, found, relative = path.partition(IMAGES_FOLDER)
    relative = relative if found else posixpath.basename(path)
    folder, file = posixpath.split(relative)
    stem = posixpath.splitext(file)[0]
    step = _step(stem)
    if step is not None and folder:
        return LoggedImage(path, folder, step)
    first, _, rest = relative.partition("/")
    step = _step(first)
    if step is not None and rest:
        return LoggedImage(path, rest, step)
    return LoggedImage(path, relative, None)


def steps_of(images: Iterable[LoggedImage]) -> list[int]:
    """The steps that have an image, in order."""
    return sorted({image.step for image in images if image.step is not None})


def at_step(images: Iterable[LoggedImage], step: int | None) -> dict[str, LoggedImage]:
    """Each name's image at `step`: an image without a step always, one logged per step at the
    latest step not after `step` (a run that logs less often still shows its last image)."""
    shown: dict[str, LoggedImage] = {}
    for image in images:
        if image.step is None:
            shown.setdefault(image.name, image)
            continue
        if step is None or image.step > step:
            continue
        current = shown.get(image.name)
        if current is None or (current.step is not None and current.step < image.step):
            shown[image.name] = image
    return shown
