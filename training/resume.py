"""Resume: a stopped or failed run continues from its last finished epoch instead of starting over.

Ask for it with `CATDOG_TUI_RESUME=1` in the environment of the run (`CATDOG_TUI_RESUME=1 dvc
exp run`). After every epoch the run keeps, under `<repo>/.dvc/tmp/catdog-tui/resume/<name>/`
(`workspace` for a run in the workspace, the experiment's name for a queued one): the weights
that training changes (not a frozen backbone's), the optimizer's state, the best epoch's weights
and model file, and a copy of DVCLive's folder and `metrics.csv`. DVC deletes a stage's outputs
before running it, so they must live outside them. `state.json` is written last, by rename, and
names the files of the last complete epoch: a run killed mid-save resumes from the epoch before.
A run that finishes deletes its state; a run with other params refuses to resume from it, with
one line.

Shuffling and augmentation restart from their seed, so a resumed run is not bit-identical to an
uninterrupted one; its epochs, optimizer, best checkpoint and DVCLive steps carry on.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from training.callbacks import BestCheckpoint, changing_variables
from training.gpus import repo_root
from training.layout import LIVE_DIR, METRICS_CSV, MODEL_FILE
from training.params import Params
from training.stage import StageError

RESUME_ENV = "CATDOG_TUI_RESUME"
STATE_FILE = "state.json"


def wanted() -> bool:
    """Whether the person asked this run to resume."""
    return os.environ.get(RESUME_ENV, "").strip().lower() in ("1", "true", "yes")


def state_dir(cwd: Path | None = None) -> Path:
    """Where this run keeps what it resumes from."""
    here = (cwd or Path.cwd()).resolve()
    root = repo_root(here)
    name = "workspace" if root == here else os.environ.get("DVC_EXP_NAME") or here.name
    return root / ".dvc" / "tmp" / "catdog-tui" / "resume" / name


def _comparable(params: Params) -> dict[str, Any]:
    # Whether the system monitor runs does not change what is learned.
    dump = params.model_dump()
    dump["train"].pop("monitor_system", None)
    return dump


@dataclass(frozen=True)
class Saved:
    """The last complete epoch of an earlier run."""

    folder: Path
    epoch: int
    """0-based index of the last finished epoch."""
    phase: int
    best: float
    files: dict[str, str]


def load(folder: Path, params: Params) -> Saved | None:
    """The saved state in `folder`, if any; StageError if it belongs to other params."""
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        raise StageError(
            f"{folder / STATE_FILE} is not valid JSON: delete {folder} to start over"
        ) from None
    if state.get("params") != _comparable(params):
        raise StageError(
            f"the run saved in {folder} had other params: run again with those, or without "
            f"{RESUME_ENV}=1 to start over (which replaces it)"
        )
    return Saved(
        folder, int(state["epoch"]), int(state["phase"]), float(state["best"]), state["files"]
    )


def restore_outputs(saved: Saved) -> None:
    """Put DVCLive's folder, metrics.csv and the best model back where the run writes them."""
    shutil.rmtree(LIVE_DIR, ignore_errors=True)
    shutil.copytree(saved.folder / saved.files["live"], LIVE_DIR)
    shutil.copy2(saved.folder / saved.files["csv"], METRICS_CSV)
    if "model" in saved.files:
        MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
        # May be the saved file itself (a hard link) when DVC did not delete the outputs.
        MODEL_FILE.unlink(missing_ok=True)
        shutil.copy2(saved.folder / saved.files["model"], MODEL_FILE)


def restore_training(
    saved: Saved, model: keras.Model, best: BestCheckpoint, same_phase: bool
) -> None:
    """Weights into `model` (the phase's model that saved them), the best epoch into `best`,
    and the optimizer's state when the run resumes within the same phase."""
    with np.load(saved.folder / saved.files["weights"]) as weights:
        for index, variable in enumerate(changing_variables(model)):
            variable.assign(weights[f"v{index}"])
    with np.load(saved.folder / saved.files["best"]) as best_values:
        best.load([best_values[f"v{i}"] for i in range(len(best_values.files))], saved.best)
    if same_phase:
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        with np.load(saved.folder / saved.files["optimizer"]) as values:
            for index, variable in enumerate(optimizer.variables):
                variable.assign(values[f"v{index}"])


def _link_or_copy(source: Path, target: Path) -> None:
    # The model file is replaced by rename on every save, so a hard link keeps this version.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class SaveState(keras.callbacks.Callback):  # type: ignore[misc]
    """After each epoch (after DVCLive and the checkpoint): what `restore_*` needs."""

    def __init__(self, folder: Path, params: Params, best: BestCheckpoint, phase: int) -> None:
        super().__init__()
        self.folder = folder
        self._params = _comparable(params)
        self._best = best
        self.phase = phase

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        files = {
            "weights": f"weights-{epoch}.npz",
            "optimizer": f"optimizer-{epoch}.npz",
            "best": f"best-{epoch}.npz",
            "live": f"dvclive-{epoch}",
            "csv": f"metrics-{epoch}.csv",
        }
        np.savez(
            self.folder / files["weights"],
            **{f"v{i}": v.numpy() for i, v in enumerate(changing_variables(self.model))},
        )
        np.savez(
            self.folder / files["optimizer"],
            **{f"v{i}": v.numpy() for i, v in enumerate(self.model.optimizer.variables)},
        )
        best_values: dict[str, Any] = {
            f"v{i}": value for i, value in enumerate(self._best.best_values())
        }
        np.savez(self.folder / files["best"], **best_values)
        shutil.rmtree(self.folder / files["live"], ignore_errors=True)
        shutil.copytree(LIVE_DIR, self.folder / files["live"])
        shutil.copy2(METRICS_CSV, self.folder / files["csv"])
        if MODEL_FILE.is_file():
            files["model"] = f"model-{epoch}.keras"
            (self.folder / files["model"]).unlink(missing_ok=True)
            _link_or_copy(MODEL_FILE, self.folder / files["model"])
        state = {
            "epoch": epoch,
            "phase": self.phase,
            "best": self._best.best,
            "files": files,
            "params": self._params,
        }
        partial = self.folder / f".{STATE_FILE}.partial"
        partial.write_text(json.dumps(state))
        partial.replace(self.folder / STATE_FILE)
        # Only now are the previous epoch's files no longer needed.
        for path in self.folder.iterdir():
            if path.name != STATE_FILE and path.name not in files.values():
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def finished(folder: Path) -> None:
    """A run that completed leaves nothing to resume."""
    shutil.rmtree(folder, ignore_errors=True)
