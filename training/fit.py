"""The training run itself: data, model, `fit` inside one DVCLive experiment, then evaluation.

Two phases when `train.fine_tune_epochs` > 0: the original method (frozen backbone, only the
head learns), then the top of the backbone unfrozen at a small learning rate. Both log to the
same DVCLive experiment, whose steps run on across them, so the charts show one run.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import keras
import numpy as np
from dvclive import Live
from dvclive import monitor_system as dvclive_monitor
from dvclive.keras import DVCLiveCallback

from training import resume
from training.callbacks import (
    BestCheckpoint,
    EpochReport,
    FeatureValidation,
    changing_variables,
)
from training.datasets import array_batches, load_split, training_batches
from training.devices import Devices
from training.evaluate import log_evaluation
from training.layout import LIVE_DIR, METRICS_CSV, MODEL_FILE, RAW_DIR
from training.model import build_classifier, fine_tuning_model
from training.params import Params

SEED = 0
"""Same params, same run: shuffling, augmentation and initial weights are seeded."""


def _scope(devices: Devices | None) -> Any:
    # Variables made in a MirroredStrategy's scope are mirrored on each of its cards.
    return devices.strategy.scope() if devices is not None else contextlib.nullcontext()


def train(params: Params, devices: Devices | None = None) -> None:
    """Train, checkpoint the best epoch, and log everything to DVCLive."""
    keras.utils.set_random_seed(SEED)
    settings = params.train
    height, width = settings.image_height, settings.image_width
    batch_size = settings.batch_size
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)

    state_dir = resume.state_dir()
    saved = resume.load(state_dir, params) if resume.wanted() else None
    if saved is not None:
        resume.restore_outputs(saved)
        print(
            f"resuming after epoch {saved.epoch + 1}/{settings.total_epochs} from {state_dir}",
            flush=True,
        )
    else:
        if resume.wanted():
            print(f"nothing to resume in {state_dir}: starting from epoch 1", flush=True)
        resume.finished(state_dir)
    start = saved.epoch + 1 if saved is not None else 0

    with _scope(devices):
        classifier = build_classifier(
            params.model, height, width, settings.learning_rate, xla=settings.xla
        )
    augmentation = None if classifier.augment_in_model else classifier.augmentation
    train_data = training_batches(RAW_DIR / "train", height, width, batch_size, SEED, augmentation)
    val_images, val_labels = load_split(RAW_DIR / "validation", height, width)
    inference_batch = settings.feature_batch_size

    # Don't let DVCLive rewrite dvc.yaml: its metrics and plots are declared there by hand.
    # With `resume`, DVCLive reads its last step back from the restored metrics.json.
    with Live(dir=str(LIVE_DIR), save_dvc_exp=True, dvcyaml=None, resume=saved is not None) as live:
        if saved is not None:
            # DVCLive reads a last step of 0 as "no step yet" and would log epoch 2 as step 0.
            live.step = start
        if settings.monitor_system:
            if devices is None or devices.gpus == 0:
                # DVCLive asks NVML whenever nvidia-ml-py is installed; without a driver that
                # fails, and the failure drops the CPU, RAM and disk samples with it (and logs
                # a traceback). A run on the CPU has no card of its own to report anyway.
                dvclive_monitor.GPU_AVAILABLE = False
            # The partition the run writes to, rather than DVCLive's default of "/".
            live.monitor_system(directories_to_monitor={"main": str(Path.cwd())})
        best = BestCheckpoint(MODEL_FILE, changing_variables(classifier.model))
        logging = [
            EpochReport(settings.total_epochs),
            keras.callbacks.CSVLogger(str(METRICS_CSV), append=saved is not None),
            DVCLiveCallback(live=live),
            # After DVCLive's: a failed save stops the run only once the epoch is logged.
            best,
        ]
        if saved is not None and saved.phase == 1:
            resume.restore_training(
                saved, classifier.model, best, same_phase=start < settings.n_epochs
            )
        validation_data = None
        val_features: np.ndarray | None = None
        first_phase: list[keras.callbacks.Callback] = []
        if classifier.frozen_backbone:
            val_features = classifier.features.predict(
                array_batches(val_images, batch_size=inference_batch), verbose=0
            )
            first_phase.append(
                FeatureValidation(classifier.head, val_features, val_labels, batch_size)
            )
        else:
            validation_data = array_batches(val_images, val_labels, batch_size)
        if start < settings.n_epochs:
            classifier.model.fit(
                train_data,
                initial_epoch=start,
                epochs=settings.n_epochs,
                validation_data=validation_data,
                callbacks=[*first_phase, *logging, resume.SaveState(state_dir, params, best, 1)],
                # Already shuffled by tf.data, each epoch.
                shuffle=False,
                verbose=0,
            )
        model = classifier.model

        if settings.fine_tune_epochs:
            with _scope(devices):
                model = fine_tuning_model(
                    classifier,
                    settings.fine_tune_from,
                    settings.fine_tune_learning_rate,
                    xla=settings.xla,
                )
            best.track(changing_variables(model))
            if saved is not None and saved.phase == 2:
                resume.restore_training(saved, model, best, same_phase=True)
            # The backbone now changes every epoch: the precomputed features no longer hold.
            logging[1] = keras.callbacks.CSVLogger(str(METRICS_CSV), append=True)
            model.fit(
                train_data,
                initial_epoch=max(start, settings.n_epochs),
                epochs=settings.total_epochs,
                validation_data=array_batches(val_images, val_labels, inference_batch),
                callbacks=[*logging, resume.SaveState(state_dir, params, best, 2)],
                shuffle=False,
                verbose=0,
            )
            val_features = None

        # The best epoch's weights, by the checkpoint's own rule: no reload of the file.
        best.restore()
        if val_features is not None:
            logits = classifier.head.predict(val_features, batch_size=inference_batch, verbose=0)
        else:
            logits = model.predict(array_batches(val_images, batch_size=inference_batch), verbose=0)
        log_evaluation(live, val_labels, logits, val_images)
    resume.finished(state_dir)
