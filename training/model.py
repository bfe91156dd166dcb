"""The classifier of the original workflow: augmentation, the backbone's own preprocessing,
a backbone called in inference mode, global average pooling, dropout and one logit.

It is built as two shared halves, `features` (images to pooled backbone features, no
augmentation) and `head` (features to the logit), so that with a frozen backbone the
validation features can be computed once and the head evaluated on them every epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
from keras import layers

from training.params import ModelParams
from training.stage import StageError

Preprocess = Callable[[Any], Any]


@dataclass(frozen=True)
class Classifier:
    """The trainable model and its two halves, which share their layers with it."""

    model: keras.Model
    """Images to logits, with augmentation in front: what `fit` trains."""
    features: keras.Model
    """Images to pooled backbone features, without augmentation."""
    head: keras.Model
    """Pooled features to logits: dropout and the dense layer."""
    backbone: keras.Model
    frozen_backbone: bool
    preprocess: Preprocess
    augmentation: keras.Sequential
    augment_in_model: bool
    """False with XLA: augmentation then runs in the input pipeline (see `build_classifier`)."""


def _weights_argument(weights: str) -> str | None:
    return None if weights == "none" else weights


def _conv_block(filters: int) -> list[keras.layers.Layer]:
    # Batch norm keeps training from scratch stable at the original's learning rate of 0.01;
    # a short memory lets its running statistics settle within the few steps of a test run.
    return [
        layers.Conv2D(filters, 3, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.ReLU(),
    ]


def _tiny_backbone(input_shape: tuple[int, int, int]) -> keras.Model:
    # Small enough to train from scratch on a CPU in seconds; used by tests and the demo.
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            *_conv_block(16),
            layers.MaxPooling2D(),
            *_conv_block(32),
            layers.MaxPooling2D(),
            *_conv_block(64),
        ],
        name="tiny",
    )


def _identity(images: Any) -> Any:
    return images


def _backbone_and_preprocess(
    params: ModelParams, input_shape: tuple[int, int, int]
) -> tuple[keras.Model, Preprocess]:
    weights = _weights_argument(params.weights)
    try:
        if params.backbone == "tiny":
            backbone = _tiny_backbone(input_shape)
            if weights is not None:
                backbone.load_weights(weights)
            return backbone, layers.Rescaling(1.0 / 255)
        if params.backbone == "resnet50":
            return (
                keras.applications.ResNet50(
                    input_shape=input_shape, include_top=False, weights=weights
                ),
                keras.applications.resnet50.preprocess_input,
            )
        # MobileNetV3 rescales its own input (include_preprocessing=True).
        return (
            keras.applications.MobileNetV3Small(
                input_shape=input_shape, include_top=False, weights=weights
            ),
            _identity,
        )
    except Exception as error:
        if weights != "imagenet":
            # Keras' messages about a file that does not fit run to many lines (every layer).
            raise StageError(
                f"cannot load model.weights={params.weights!r} into {params.backbone} "
                f"({_first_line(error)}): give a Keras weights file saved from "
                f"{params.backbone} without its top, or model.weights=none"
            ) from None
        raise StageError(
            f"cannot get the ImageNet weights of {params.backbone} ({_first_line(error)}): "
            "with no network, set model.weights=none to train from random weights, or "
            "model.weights=PATH to a local Keras weights file"
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _augmentation() -> keras.Sequential:
    return keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.2)], name="augmentation"
    )


def compile_for_training(model: keras.Model, learning_rate: float, *, xla: bool = False) -> None:
    """Adam, binary cross-entropy on logits, and accuracy thresholded at logit 0."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        # Keras' "auto" would pick XLA by machine (on with a GPU, off on a CPU); the param decides.
        jit_compile=xla,
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        # Keras' plain "accuracy" would threshold the logit at 0.5, i.e. probability 0.62;
        # 0 is probability 0.5, the threshold the confusion matrix uses too.
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    )


def build_classifier(
    params: ModelParams,
    image_height: int,
    image_width: int,
    learning_rate: float,
    *,
    xla: bool = False,
) -> Classifier:
    """Build and compile the classifier for images of the given size.

    With `xla`, augmentation is left out of the model, for the input pipeline to apply
    (`Classifier.augmentation`): Keras marks RandomRotation as unfit for XLA
    (`supports_jit` is False), and in the model it would keep the training step from compiling.
    """
    input_shape = (image_height, image_width, 3)
    backbone, preprocess = _backbone_and_preprocess(params, input_shape)
    backbone.trainable = not params.frozen_backbone

    images = keras.Input(shape=input_shape, name="images")
    pooled = layers.GlobalAveragePooling2D(name="pool")(
        backbone(preprocess(images), training=False)
    )
    if params.frozen_backbone:
        # Frozen weights need no gradient; without this TensorFlow still records the
        # backbone's forward pass on the tape and works backwards through it every step.
        pooled = keras.ops.stop_gradient(pooled)
    features = keras.Model(images, pooled, name="features")

    head = keras.Sequential(
        [
            keras.Input(shape=(int(pooled.shape[-1]),)),
            layers.Dropout(0.2),
            # float32 whatever the precision policy: a float16 logit saturates the loss.
            layers.Dense(1, name="logit", dtype="float32"),
        ],
        name="head",
    )

    augmentation = _augmentation()
    inputs = keras.Input(shape=input_shape, name="images")
    logits = head(features(inputs if xla else augmentation(inputs)))
    model = keras.Model(inputs, logits, name="catdog")

    compile_for_training(model, learning_rate, xla=xla)
    # The head alone is compiled with the same loss and metric so that evaluating it on
    # precomputed features reports what evaluating the whole model would.
    compile_for_training(head, learning_rate)
    return Classifier(
        model,
        features,
        head,
        backbone,
        params.frozen_backbone,
        preprocess,
        augmentation,
        augment_in_model=not xla,
    )


def _first_unfrozen(backbone: keras.Model, start: int | str) -> int:
    names = [layer.name for layer in backbone.layers]
    if isinstance(start, str):
        if start not in names:
            raise StageError(
                f"train.fine_tune_from={start!r} is not a layer of {backbone.name}: give a "
                f"layer index (0 to {len(names) - 1}, or negative from the end) or one of its "
                f"layer names, such as {names[-1]!r}"
            )
        return names.index(start)
    if not -len(names) <= start < len(names):
        raise StageError(
            f"train.fine_tune_from={start} is outside {backbone.name}'s {len(names)} layers: "
            f"give an index from {-len(names)} to {len(names) - 1}, or a layer name"
        )
    return start % len(names)


def fine_tuning_model(
    classifier: Classifier, start: int | str, learning_rate: float, *, xla: bool = False
) -> keras.Model:
    """The second phase of transfer learning: the backbone's layers from `start` on train (with
    gradients: no stop_gradient on this path), those before it stay frozen, and every
    BatchNormalization layer stays frozen, so in inference mode with its statistics untouched
    (Keras runs a non-trainable BatchNormalization in inference mode). Shares every layer with
    `classifier.model`, so the first phase's weights carry over."""
    first = _first_unfrozen(classifier.backbone, start)
    classifier.backbone.trainable = True
    for index, layer in enumerate(classifier.backbone.layers):
        layer.trainable = index >= first and not isinstance(layer, layers.BatchNormalization)

    inputs = keras.Input(shape=classifier.model.input_shape[1:], name="images")
    augmented = classifier.augmentation(inputs) if classifier.augment_in_model else inputs
    pooled = classifier.features.get_layer("pool")(
        classifier.backbone(classifier.preprocess(augmented), training=False)
    )
    model = keras.Model(inputs, classifier.head(pooled), name="catdog")
    compile_for_training(model, learning_rate, xla=xla)
    return model
