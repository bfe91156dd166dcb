"""The original workflow's training job, as ../shared/SEED.md describes it, for the speed benchmark.

Kept as it was on purpose (no cache, no prefetch, validation through the backbone every epoch,
`model.predict` per validation batch), except for what this machine forces: ResNet50 has
`weights=None` (no network here), params come from `params.yaml` in the working directory, and
the image size is passed as (height, width). Run by bench/train_speed.py in a scratch folder.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
import yaml
from dvclive import Live
from dvclive.keras import DVCLiveCallback


def get_model(image_size: tuple[int, int], learning_rate: float) -> tf.keras.Model:
    data_augmentation = tf.keras.Sequential(
        [tf.keras.layers.RandomFlip("horizontal"), tf.keras.layers.RandomRotation(0.2)]
    )
    preprocess_input = tf.keras.applications.resnet50.preprocess_input
    image_shape = image_size + (3,)
    base_model = tf.keras.applications.ResNet50(
        input_shape=image_shape, include_top=False, weights=None
    )
    base_model.trainable = False
    inputs = tf.keras.Input(shape=image_shape)
    x = data_augmentation(inputs)
    x = preprocess_input(x)
    x = base_model(x, training=False)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dropout(0.2)(x)
    outputs = tf.keras.layers.Dense(1)(x)
    model = tf.keras.Model(inputs, outputs)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=learning_rate),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())["train"]
    image_size = (params["image_height"], params["image_width"])
    batch_size = params["batch_size"]
    started = time.perf_counter()

    train_dataset = tf.keras.utils.image_dataset_from_directory(
        "data/raw/train", shuffle=True, batch_size=batch_size, image_size=image_size
    )
    validation_dataset = tf.keras.utils.image_dataset_from_directory(
        "data/raw/validation", shuffle=True, batch_size=batch_size, image_size=image_size
    )
    Path("models").mkdir(exist_ok=True)
    model = get_model(image_size, params["learning_rate"])
    with Live(save_dvc_exp=True) as live:
        model.fit(
            train_dataset,
            epochs=params["n_epochs"],
            validation_data=validation_dataset,
            callbacks=[
                tf.keras.callbacks.ModelCheckpoint(
                    "models/model.keras", monitor="val_accuracy", save_best_only=True
                ),
                tf.keras.callbacks.CSVLogger("metrics.csv"),
                DVCLiveCallback(live=live),
            ],
            verbose=0,
        )
        model.load_weights("models/model.keras")
        y_true, y_pred = [], []
        for x, y in validation_dataset:
            y_true.append(y.numpy())
            y_pred.append((model.predict(x, verbose=0) > 0).astype(int).reshape(-1))
        live.log_sklearn_plot(
            "confusion_matrix", np.concatenate(y_true), np.concatenate(y_pred)
        )
    json.dump({"seconds": time.perf_counter() - started}, sys.stdout)


if __name__ == "__main__":
    main()
