"""Keras callbacks of our own: validation from precomputed features, and one log line per epoch."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np


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
