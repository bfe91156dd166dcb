"""Keras callbacks of our own: validation from precomputed features, and one log line per epoch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from training.stage import StageError


class FeatureValidation(keras.callbacks.Callback):  # type: ignore[misc]
    """Adds `val_*` to each epoch's logs by evaluating the head on validation features that
    were computed once.

    Valid only while the backbone is frozen and validation has no augmentation: the features
    are then the same every epoch, so this reports what `fit(validation_data=...)` would,
    without running the backbone over the validation set again. It must come before every
    callback that reads `val_*` (checkpoint, CSV, DVCLive), since they share the logs dict.
    """

    def __init__(
        self, head: keras.Model, features: np.ndarray, labels: np.ndarray, batch_size: int
    ) -> None:
        super().__init__()
        self._head = head
        self._features = features
        self._labels = labels
        self._batch_size = batch_size

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            return
        results = self._head.evaluate(
            self._features,
            self._labels,
            batch_size=self._batch_size,
            verbose=0,
            return_dict=True,
        )
        for name, value in results.items():
            logs[f"val_{name}"] = float(value)


class EpochReport(keras.callbacks.Callback):  # type: ignore[misc]
    """One plain line per epoch on stdout, for logs read by people and by `catdog-tui logs`."""

    def __init__(self, n_epochs: int) -> None:
        super().__init__()
        self._n_epochs = n_epochs
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = "  ".join(f"{name} {value:.4f}" for name, value in (logs or {}).items())
        elapsed = time.perf_counter() - self._started
        print(f"epoch {epoch + 1}/{self._n_epochs}  {values}  {elapsed:.1f}s", flush=True)


def changing_variables(model: keras.Model) -> list[Any]:
    """The variables training can change: trainable weights, and the moving statistics of
    BatchNormalization layers that train. A frozen backbone's millions of weights are not among
    them, so keeping a copy of these is cheap."""
    found = list(model.trainable_weights)
    # By identity: `in` would compare variables' values, element by element.
    seen = {id(weight) for weight in found}
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable:
            found += [w for w in layer.non_trainable_weights if id(w) not in seen]
            seen.update(id(w) for w in layer.non_trainable_weights)
    return found


class BestCheckpoint(keras.callbacks.Callback):  # type: ignore[misc]
    """Keeps the best epoch by `val_accuracy`, across both training phases: its weights in
    memory (restored by `restore`) and the model that reached it in `path`.

    The file is written beside the target and renamed over it, so a save cut short (a full
    disk, a kill) leaves the last good model in place. A failed save stops the run with one
    line, after the callbacks before this one (DVCLive's among them) have logged the epoch.
    """

    def __init__(self, path: Path, variables: list[Any], monitor: str = "val_accuracy") -> None:
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.best = -np.inf
        self._variables = list(variables)
        self._best_values: list[np.ndarray] | None = None

    def track(self, variables: list[Any]) -> None:
        """Watch more variables (fine-tuning unfreezes layers). They have not changed since the
        best epoch so far, so their values now are their values then."""
        known = {id(variable) for variable in self._variables}
        for variable in variables:
            if id(variable) not in known:
                self._variables.append(variable)
                if self._best_values is not None:
                    self._best_values.append(np.array(variable.numpy()))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = (logs or {}).get(self.monitor)
        # Strictly better, as Keras' ModelCheckpoint(save_best_only=True) decides.
        if current is None or not current > self.best:
            return
        self.best = float(current)
        self._best_values = [np.array(variable.numpy()) for variable in self._variables]
        save_atomically(self.model, self.path)

    def best_values(self) -> list[np.ndarray]:
        """The best epoch's values of the watched variables (none before any epoch)."""
        return list(self._best_values or [])

    def load(self, values: list[np.ndarray], best: float) -> None:
        """Take the best epoch of an earlier run (resume)."""
        self.best = best
        self._best_values = [np.array(value) for value in values] if values else None

    def restore(self) -> None:
        """Put the best epoch's weights back into the model (if any epoch improved)."""
        if self._best_values is not None:
            for variable, value in zip(self._variables, self._best_values, strict=True):
                variable.assign(value)


def save_atomically(model: keras.Model, path: Path) -> None:
    """`model.save(path)` through a temporary file in the same folder and a rename."""
    # Keras insists on the .keras suffix; the dot keeps DVC and people from taking it for a model.
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        model.save(partial)
        partial.replace(path)
    except Exception as error:
        partial.unlink(missing_ok=True)
        text = str(error).strip().splitlines()
        reason = text[0] if text else type(error).__name__
        raise StageError(
            f"cannot save the checkpoint {path} ({reason}): the last good one is kept; "
            "free space or fix the folder's permissions and run again"
        ) from None
