"""The classifier: shapes, which layers train, its two halves, and validation from features."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from training.callbacks import FeatureValidation, save_atomically
from training.evaluate import evaluate_logits
from training.model import build_classifier, fine_tuning_model
from training.params import Backbone, ModelParams
from training.stage import StageError

SIDE = 32


def images(count: int, seed: int = 0, width: int = SIDE) -> np.ndarray:
    shape = (count, SIDE, width, 3)
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet_v3_small", "tiny"])
def test_model_maps_images_to_one_logit(backbone: Backbone) -> None:
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
def test_pretrained_backbones_are_frozen_and_only_the_head_trains(backbone: Backbone) -> None:
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
        StageError, match=r"cannot load model.weights='.*wrong.weights.h5' into resnet50 \("
    ):
        build_classifier(ModelParams(backbone="resnet50", weights=str(path)), SIDE, SIDE, 0.01)


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet_v3_small", "tiny"])
def test_a_weights_file_that_is_not_one_is_one_line(tmp_path: Path, backbone: Backbone) -> None:
    path = tmp_path / "downloaded.weights.h5"
    path.write_bytes(b"<html>a login page, not weights</html>")
    with pytest.raises(StageError) as error:
        build_classifier(ModelParams(backbone=backbone, weights=str(path)), SIDE, SIDE, 0.01)
    message = str(error.value)
    assert message.startswith(f"cannot load model.weights='{path}' into {backbone} (")
    assert message.endswith("or model.weights=none")
    assert "\n" not in message


def test_fine_tuning_trains_exactly_the_unfrozen_layers_and_leaves_batch_norm_alone() -> None:
    keras.utils.set_random_seed(7)  # the same weights and dropout masks every run
    classifier = build_classifier(
        ModelParams(backbone="mobilenet_v3_small", weights="none"), SIDE, SIDE, 0.01
    )
    backbone = classifier.backbone
    first = len(backbone.layers) - 12
    model = fine_tuning_model(classifier, -12, 0.01)
    norms = [
        layer for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert any(backbone.layers.index(layer) >= first for layer in norms), "the test needs a BN"

    def snapshot() -> dict[str, np.ndarray]:
        return {w.path: w.numpy().copy() for w in model.weights}

    before = snapshot()
    x, y = images(16, seed=2), (np.arange(16) % 2).reshape(-1, 1).astype("float32")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after = snapshot()
    changed = {path for path in before if not np.array_equal(before[path], after[path])}

    unfrozen = [
        layer
        for index, layer in enumerate(backbone.layers)
        if index >= first
        and not isinstance(layer, keras.layers.BatchNormalization)
        and layer.trainable_weights
    ]
    assert unfrozen, "the test needs unfrozen weights"
    unfrozen_weights = {w.path for layer in unfrozen for w in layer.trainable_weights}
    head = {w.path for w in classifier.head.trainable_weights}
    assert changed <= unfrozen_weights | head, "only the unfrozen layers and the head change"
    # The head learns; its bias alone can get a zero gradient (balanced labels, logits that
    # average out), so some head weight, not each one.
    assert head & changed, "the head learns"
    # Every unfrozen layer learns (a kernel whose input is all zeros at this tiny size gets no
    # gradient, so some weight of each layer, not each weight).
    for layer in unfrozen:
        assert {w.path for w in layer.trainable_weights} & changed, layer.name
    # Moving mean and variance, gamma and beta: all untouched.
    for layer in norms:
        for weight in layer.weights:
            assert weight.path not in changed


def test_fine_tune_from_takes_a_name_and_refuses_an_unknown_one() -> None:
    classifier = build_classifier(
        ModelParams(backbone="resnet50", weights="none"), SIDE, SIDE, 0.01
    )
    fine_tuning_model(classifier, "conv5_block3_1_conv", 1e-5)
    assert not classifier.backbone.get_layer("conv5_block2_out").trainable
    assert classifier.backbone.get_layer("conv5_block3_1_conv").trainable
    assert not classifier.backbone.get_layer("conv5_block3_1_bn").trainable
    with pytest.raises(
        StageError, match=r"train.fine_tune_from='conv9' is not a layer of resnet50"
    ):
        fine_tuning_model(classifier, "conv9", 1e-5)
    with pytest.raises(StageError, match=r"train.fine_tune_from=999 is outside resnet50's"):
        fine_tuning_model(classifier, 999, 1e-5)


def test_a_failed_save_keeps_the_last_good_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    classifier = build_classifier(ModelParams(backbone="tiny", weights="none"), SIDE, SIDE, 0.01)
    target = tmp_path / "model.keras"
    save_atomically(classifier.model, target)
    good = target.read_bytes()

    def disk_full(self: keras.Model, path: str, *args: object, **kwargs: object) -> None:
        Path(path).write_bytes(b"half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", disk_full)
    with pytest.raises(StageError) as error:
        save_atomically(classifier.model, target)
    assert str(error.value) == (
        f"cannot save the checkpoint {target} ([Errno 28] No space left on device): the last "
        "good one is kept; free space or fix the folder's permissions and run again"
    )
    assert target.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
