"""The classifier: shapes, which layers train, its two halves, and validation from features."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from training.callbacks import FeatureValidation
from training.evaluate import evaluate_logits
from training.model import build_classifier
from training.params import ModelParams
from training.stage import StageError

SIDE = 32


def images(count: int, seed: int = 0, width: int = SIDE) -> np.ndarray:
    shape = (count, SIDE, width, 3)
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet_v3_small", "tiny"])
def test_model_maps_images_to_one_logit(backbone: str) -> None:
    classifier = build_classifier(
        ModelParams(backbone=backbone, weights="none"), SIDE, SIDE + 8, 0.01
    )
    assert classifier.model.input_shape == (None, SIDE, SIDE + 8, 3)
    assert classifier.model.output_shape == (None, 1)
    batch = images(4, width=SIDE + 8)
    whole = classifier.model.predict(batch, verbose=0)
    halves = classifier.head.predict(classifier.features.predict(batch, verbose=0), verbose=0)
    np.testing.assert_allclose(whole, halves, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet_v3_small"])
def test_pretrained_backbones_are_frozen_and_only_the_head_trains(backbone: str) -> None:
    classifier = build_classifier(ModelParams(backbone=backbone, weights="none"), SIDE, SIDE, 0.01)
    assert classifier.frozen_backbone
    assert not classifier.backbone.trainable
    assert sorted(w.path for w in classifier.model.trainable_weights) == [
        "head/logit/bias",
        "head/logit/kernel",
    ]
    before = [w.numpy().copy() for w in classifier.backbone.weights]
    classifier.model.fit(images(8), np.ones((8, 1), "float32")[:, :], epochs=1, verbose=0)
    after = [w.numpy() for w in classifier.backbone.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_tiny_backbone_learns_from_scratch() -> None:
    classifier = build_classifier(ModelParams(backbone="tiny", weights="none"), SIDE, SIDE, 0.01)
    assert not classifier.frozen_backbone
    trainable = {w.path.split("/")[0] for w in classifier.model.trainable_weights}
    assert trainable == {"tiny", "head"}


def test_augmentation_is_in_the_model_but_not_in_the_features() -> None:
    classifier = build_classifier(ModelParams(backbone="tiny", weights="none"), SIDE, SIDE, 0.01)
    names = [layer.name for layer in classifier.model.layers]
    assert "augmentation" in names
    assert "augmentation" not in [layer.name for layer in classifier.features.layers]
    kinds = {type(layer).__name__ for layer in classifier.model.get_layer("augmentation").layers}
    assert kinds == {"RandomFlip", "RandomRotation"}


def test_feature_validation_reports_what_keras_evaluate_reports() -> None:
    classifier = build_classifier(
        ModelParams(backbone="resnet50", weights="none"), SIDE, SIDE, 0.01
    )
    x = images(20, seed=1)
    y = (np.arange(20) % 2).reshape(-1, 1).astype("float32")
    expected = classifier.model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    features = classifier.features.predict(x, verbose=0)
    logs: dict[str, float] = {"loss": 1.0}
    FeatureValidation(classifier.head, features, y, batch_size=8).on_epoch_end(0, logs)
    assert logs["val_loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert logs["val_accuracy"] == pytest.approx(expected["accuracy"], abs=1e-7)
    # And the numpy summary logged after training agrees with both.
    logits = classifier.head.predict(features, verbose=0)
    summary = evaluate_logits(y, logits)
    assert summary.loss == pytest.approx(expected["loss"], rel=1e-4)
    assert summary.accuracy == pytest.approx(expected["accuracy"], abs=1e-7)


def test_unreachable_imagenet_weights_give_one_line_with_the_ways_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A fake download failure: tests never touch the network. The message is the one
    # Keras raises when the host cannot be resolved.
    def offline(*args: object, **kwargs: object) -> str:
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/tensorflow/keras-applications/"
            "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5: None -- "
            "[Errno -3] Temporary failure in name resolution"
        )

    monkeypatch.setattr(keras.src.utils.file_utils, "get_file", offline)
    with pytest.raises(StageError) as error:
        build_classifier(ModelParams(backbone="resnet50", weights="imagenet"), SIDE, SIDE, 0.01)
    message = str(error.value)
    assert message.startswith("cannot get the ImageNet weights of resnet50 (URL fetch failure")
    assert "model.weights=none" in message
    assert "model.weights=PATH" in message
    assert "\n" not in message


def test_local_weights_file_is_loaded(tmp_path: Path) -> None:
    source = build_classifier(ModelParams(backbone="resnet50", weights="none"), SIDE, SIDE, 0.01)
    path = tmp_path / "resnet50_notop.weights.h5"
    source.backbone.save_weights(path)
    loaded = build_classifier(ModelParams(backbone="resnet50", weights=str(path)), SIDE, SIDE, 0.01)
    for ours, theirs in zip(loaded.backbone.weights, source.backbone.weights, strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_a_weights_file_that_does_not_fit_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "wrong.weights.h5"
    build_classifier(
        ModelParams(backbone="tiny", weights="none"), SIDE, SIDE, 0.01
    ).backbone.save_weights(path)
    with pytest.raises(
        StageError, match=r"cannot load model.weights='.*wrong.weights.h5' into resnet50"
    ):
        build_classifier(ModelParams(backbone="resnet50", weights=str(path)), SIDE, SIDE, 0.01)
