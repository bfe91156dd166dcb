"""tf.data input pipelines: each image is decoded once, then served from memory.

Images are kept as uint8 after Keras' resize (rounded to the nearest value): a quarter of the
memory of float32, so both splits of the full dataset fit, for a change below half a grey level.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from training.layout import CLASS_DIRS

AUTOTUNE = tf.data.AUTOTUNE
# Big batches for passes that only predict: fewer steps, same numbers.
INFERENCE_BATCH = 256


def _decoded(directory: Path, image_height: int, image_width: int) -> tf.data.Dataset:
    images = keras.utils.image_dataset_from_directory(
        directory,
        labels="inferred",
        label_mode="binary",
        class_names=list(CLASS_DIRS),
        batch_size=None,
        image_size=(image_height, image_width),
        shuffle=False,
        verbose=False,
    )
    return images.map(
        lambda image, label: (tf.cast(tf.round(tf.clip_by_value(image, 0, 255)), tf.uint8), label),
        num_parallel_calls=AUTOTUNE,
    )


def _as_float(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return tf.cast(images, tf.float32), labels


def training_batches(
    directory: Path,
    image_height: int,
    image_width: int,
    batch_size: int,
    seed: int,
    augmentation: keras.Layer | None = None,
) -> tf.data.Dataset:
    """Shuffled each epoch, batched and prefetched; decoded only in the first epoch.

    `augmentation`, when given, runs here on each batch rather than in the model (XLA)."""
    decoded = _decoded(directory, image_height, image_width).cache()
    count = int(decoded.cardinality())
    if count < 0:
        # The cardinality of a directory listing is known; this only guards the shuffle buffer.
        count = 10_000
    batches = (
        decoded.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(_as_float, num_parallel_calls=AUTOTUNE)
    )
    if augmentation is not None:
        batches = batches.map(
            lambda images, labels: (augmentation(images, training=True), labels),
            num_parallel_calls=AUTOTUNE,
        )
    return batches.prefetch(AUTOTUNE)


def load_split(
    directory: Path, image_height: int, image_width: int
) -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8, NHWC) and labels (float32, N x 1) of a split, in a fixed order."""
    batched = _decoded(directory, image_height, image_width).batch(INFERENCE_BATCH)
    images, labels = [], []
    for image_batch, label_batch in batched.as_numpy_iterator():
        images.append(image_batch)
        labels.append(label_batch)
    return np.concatenate(images), np.concatenate(labels).astype(np.float32)


def array_batches(
    images: np.ndarray, labels: np.ndarray | None = None, batch_size: int = INFERENCE_BATCH
) -> tf.data.Dataset:
    """Float32 batches of in-memory images (and labels), prefetched."""
    if labels is None:
        data = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
        return data.map(lambda x: tf.cast(x, tf.float32)).prefetch(AUTOTUNE)
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    return data.map(_as_float).prefetch(AUTOTUNE)
