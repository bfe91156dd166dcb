"""The training run itself: data, model, `fit` inside one DVCLive experiment, then evaluation."""

from __future__ import annotations

import keras
import numpy as np
from dvclive import Live
from dvclive.keras import DVCLiveCallback

from training.callbacks import EpochReport, FeatureValidation
from training.datasets import array_batches, load_split, training_batches
from training.evaluate import log_evaluation
from training.layout import LIVE_DIR, METRICS_CSV, MODEL_FILE, RAW_DIR
from training.model import build_classifier
from training.params import Params

SEED = 0
"""Same params, same run: shuffling, augmentation and initial weights are seeded."""


def train(params: Params) -> None:
    """Train, checkpoint the best epoch, and log everything to DVCLive."""
    keras.utils.set_random_seed(SEED)
    height, width = params.train.image_height, params.train.image_width
    batch_size = params.train.batch_size
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)

    classifier = build_classifier(params.model, height, width, params.train.learning_rate)
    train_data = training_batches(RAW_DIR / "train", height, width, batch_size, SEED)
    val_images, val_labels = load_split(RAW_DIR / "validation", height, width)

    # Don't let DVCLive rewrite dvc.yaml: its metrics and plots are declared there by hand.
    with Live(dir=str(LIVE_DIR), save_dvc_exp=True, dvcyaml=None) as live:
        callbacks: list[keras.callbacks.Callback] = []
        validation_data = None
        val_features: np.ndarray | None = None
        if classifier.frozen_backbone:
            val_features = classifier.features.predict(array_batches(val_images), verbose=0)
            callbacks.append(
                FeatureValidation(classifier.head, val_features, val_labels, batch_size)
            )
        else:
            validation_data = array_batches(val_images, val_labels, batch_size)
        callbacks += [
            EpochReport(params.train.n_epochs),
            keras.callbacks.ModelCheckpoint(
                str(MODEL_FILE), monitor="val_accuracy", save_best_only=True
            ),
            # Never stops early (patience > epochs left); it keeps the best epoch's weights in
            # memory, by the checkpoint's own rule, so evaluating the best model needs no
            # reload of the file just written.
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy",
                mode="max",
                patience=params.train.n_epochs,
                restore_best_weights=True,
            ),
            keras.callbacks.CSVLogger(str(METRICS_CSV)),
            DVCLiveCallback(live=live),
        ]
        classifier.model.fit(
            train_data,
            epochs=params.train.n_epochs,
            validation_data=validation_data,
            callbacks=callbacks,
            # Already shuffled by tf.data, each epoch.
            shuffle=False,
            verbose=0,
        )

        if val_features is not None:
            logits = classifier.head.predict(val_features, verbose=0)
        else:
            logits = classifier.model.predict(array_batches(val_images), verbose=0)
        log_evaluation(live, val_labels, logits, val_images)
