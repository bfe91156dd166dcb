"""`catdog-tui demo [DIR]`: a ready project that trains in a minute on a CPU, offline.

A copy of this project's pipeline (training/, dvc.yaml, params.yaml, DVC config), with
parameters for a quick look: synthetic images, the tiny backbone, small images, a few epochs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from tui.backend.errors import BackendError
from tui.backend.formats import parse_yaml
from tui.backend.repo import DvcRepo

# Measured on a 2-core CPU (tiny backbone): at learning rate 0.003 the training images score
# 0.97 in training mode but 0.55 in inference mode by epoch 8, the mean validation logit
# swinging from +1.5 to -9.7 between epochs: BatchNormalization's moving statistics lag weights
# that move that fast, so validation swung 0.58-0.93-0.54. At 0.001, with 1000 training images
# per class (63 steps an epoch instead of 25) and 400 validation images, validation reads
# 0.80, 0.93, 0.95, 0.96, 0.99, 0.98, 0.99, 0.995 in 42 s of training.
DEMO_PARAMS = {
    "data.source": "synthetic",
    "data.synthetic_train_per_class": 1000,
    "data.synthetic_validation_per_class": 200,
    "train.image_width": 64,
    "train.image_height": 64,
    "train.learning_rate": 0.001,
    "train.n_epochs": 8,
    "model.backbone": "tiny",
    "model.weights": "none",
}
PROJECT_FILES = (
    "dvc.yaml", "params.yaml", ".dvcignore", ".gitignore", ".dvc/config", ".catdog-tui.toml",
)  # fmt: skip
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "catdog-tui demo",
    "GIT_AUTHOR_EMAIL": "demo@catdog-tui.invalid",
    "GIT_COMMITTER_NAME": "catdog-tui demo",
    "GIT_COMMITTER_EMAIL": "demo@catdog-tui.invalid",
}


def _source_checkout() -> Path:
    spec = importlib.util.find_spec("training")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        checkout = Path(location).parent
        if all((checkout / name).is_file() for name in ("dvc.yaml", "params.yaml")):
            return checkout
    raise BackendError(
        "the demo copies the pipeline from a source checkout of catdog-tui: install it with "
        "`pip install -e '.[train]'` from a clone"
    )


TRAINING_MODULES = ("tensorflow", "dvclive", "pydantic", "PIL")
"""What the demo's run imports: the `train` extra."""


def check_training_installed() -> None:
    """The demo trains a model: say so in one line, before anything is made, when this
    environment has the app alone (`pip install catdog-tui` without the `train` extra)."""
    missing = [name for name in TRAINING_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendError(
            f"the demo trains a model, and this environment lacks {', '.join(missing)}: "
            "install the pipeline's extra (`pip install -e '.[train]'` from a clone)"
        )


def _demo_params(text: str) -> str:
    lines = []
    section = ""
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if stripped and not line.startswith(" ") and stripped.endswith(":"):
            section = stripped[:-1]
        elif stripped and ":" in stripped:
            key = stripped.strip().split(":", 1)[0]
            dotted = f"{section}.{key}"
            if dotted in DEMO_PARAMS:
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}{key}: {DEMO_PARAMS[dotted]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def make_demo(target: Path) -> DvcRepo:
    """Create the demo project in `target` (new or empty) and commit it."""
    check_training_installed()
    if target.exists() and any(target.iterdir()):
        raise BackendError(f"{target} is not empty: give a new folder, e.g. catdog-tui demo ./demo")
    checkout = _source_checkout()
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(checkout / name, target / name)
    shutil.copytree(
        checkout / "training", target / "training", ignore=shutil.ignore_patterns("__pycache__")
    )
    params = _demo_params((checkout / "params.yaml").read_text())
    assert parse_yaml(params)["model"]["backbone"] == "tiny"
    (target / "params.yaml").write_text(params)
    env = {**os.environ, **GIT_IDENTITY}
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "catdog-tui demo project"],
    ):
        done = subprocess.run(
            command, cwd=target, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise BackendError(f"`{' '.join(command)}` failed in {target}: {done.stderr.strip()}")
    _ignore_in_enclosing_repo(target.resolve())
    return DvcRepo(target.resolve())


def _ignore_in_enclosing_repo(target: Path) -> None:
    """A demo made inside another repository (this clone, say) is a repository of its own:
    that one's `git status` should not list it. `.git/info/exclude`: local, never committed."""
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel", "--git-dir"], cwd=target.parent,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return
    top, git_dir = (Path(line) for line in done.stdout.splitlines()[:2])
    git_dir = git_dir if git_dir.is_absolute() else target.parent / git_dir
    exclude = git_dir / "info" / "exclude"
    try:
        entry = "/" + target.relative_to(top.resolve()).as_posix() + "/"
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if entry not in lines:
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with exclude.open("a") as handle:
                handle.write(f"# a catdog-tui demo project\n{entry}\n")
    except (OSError, ValueError):
        pass  # only `git status` is noisier
