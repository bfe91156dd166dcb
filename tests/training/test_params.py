"""params.yaml validation: the committed file is valid, every bad value gets one clear line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PARAMS, ROOT, run
from training.params import load_params, parse_params, read_yaml
from training.stage import StageError

COMMITTED: dict[str, Any] = read_yaml(PARAMS)


def with_value(section: str, key: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(COMMITTED)
    raw[section][key] = value
    return raw


def test_committed_params_are_the_documented_defaults(tmp_path: Path) -> None:
    # The committed file, not the live one (which `catdog-tui apply` rewrites); the tests'
    # copy must follow it.
    committed = run(["git", "show", "HEAD:params.yaml"], ROOT).stdout
    assert committed == PARAMS.read_text(), "tests/fixtures/params.yaml lags params.yaml"
    (tmp_path / "params.yaml").write_text(committed)
    params = load_params(tmp_path / "params.yaml")
    assert params.data.source == "url"
    assert params.data.url.endswith("/cats_and_dogs_filtered.zip")
    assert (params.data.synthetic_train_per_class, params.data.synthetic_validation_per_class) == (
        1000,
        500,
    )
    assert params.train.model_dump() == {
        "image_width": 180,
        "image_height": 180,
        "batch_size": 32,
        "learning_rate": 0.01,
        "n_epochs": 15,
        "precision": "float32",
        "xla": False,
        "gpus": 1,
        "feature_batch_size": 256,
        "fine_tune_epochs": 0,
        "fine_tune_from": -30,
        "fine_tune_learning_rate": 0.00001,
        "monitor_system": True,
    }
    assert (params.model.backbone, params.model.weights) == ("resnet50", "imagenet")
    assert params.model.frozen_backbone


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("train", "n_epochs", -3, "greater than or equal to 1"),
        ("train", "n_epochs", 2.5, "valid integer"),
        ("train", "n_epochs", "15", "valid integer"),
        ("train", "learning_rate", 0, "greater than 0"),
        ("train", "learning_rate", -0.1, "greater than 0"),
        ("train", "learning_rate", "fast", "valid number"),
        ("train", "learning_rate", float("inf"), "less than or equal to 10"),
        ("train", "batch_size", True, "valid integer"),
        ("train", "image_width", 16, "greater than or equal to 32"),
        ("model", "backbone", "vgg16", "'resnet50', 'mobilenet_v3_small' or 'tiny'"),
        ("model", "weights", "missing/weights.h5", "imagenet, none, or the path"),
        ("data", "source", "kaggle", "'url' or 'synthetic'"),
        ("data", "synthetic_train_per_class", 0, "greater than or equal to 1"),
        ("data", "url", "ftp://example.invalid/x.zip", "http(s):// or file:// URL"),
        ("train", "precision", "float16", "'float32' or 'mixed_float16'"),
        ("train", "xla", "yes", "valid boolean"),
        ("train", "gpus", -1, "0 (the CPU), a count of cards up to 64, or all"),
        ("train", "gpus", "two", "0 (the CPU), a count of cards up to 64, or all"),
        ("train", "gpus", True, "0 (the CPU), a count of cards up to 64, or all"),
        ("train", "feature_batch_size", 0, "greater than or equal to 1"),
        ("train", "fine_tune_epochs", -1, "greater than or equal to 0"),
        ("train", "fine_tune_from", "", "a backbone layer's index"),
        ("train", "fine_tune_from", 1.5, "a backbone layer's index"),
        ("train", "fine_tune_learning_rate", 0, "greater than 0"),
        ("train", "monitor_system", "on", "valid boolean"),
    ],
)
def test_a_bad_value_names_key_value_and_what_is_allowed(
    section: str, key: str, value: Any, allowed: str
) -> None:
    with pytest.raises(StageError) as error:
        parse_params(with_value(section, key, value))
    message = str(error.value)
    assert f"{section}.{key}={value!r}" in message
    assert allowed in message
    assert "\n" not in message


def test_unknown_and_missing_keys_say_what_to_do() -> None:
    with pytest.raises(StageError, match=r"train\.epochs is not a known key: remove it"):
        parse_params(with_value("train", "epochs", 3))
    raw = copy.deepcopy(COMMITTED)
    del raw["model"]["weights"]
    with pytest.raises(StageError, match=r"model\.weights is missing: add it"):
        parse_params(raw)
    with pytest.raises(StageError, match="must be a mapping with the sections"):
        parse_params(["not", "a", "mapping"])


def test_tiny_backbone_has_no_imagenet_weights() -> None:
    raw = with_value("model", "backbone", "tiny")
    with pytest.raises(StageError, match=r"use model\.weights=none"):
        parse_params(raw)
    raw["model"]["weights"] = "none"
    assert not parse_params(raw).model.frozen_backbone


def test_a_local_weights_file_is_accepted(tmp_path: Path) -> None:
    weights = tmp_path / "resnet50_notop.h5"
    weights.write_bytes(b"")
    assert parse_params(with_value("model", "weights", str(weights))).model.weights == str(weights)


def test_yaml_is_read_as_dvc_reads_it(tmp_path: Path) -> None:
    # YAML 1.2, as DVC parses it: 1e-3 is a number (PyYAML would read a string).
    text = PARAMS.read_text().replace("learning_rate: 0.01", "learning_rate: 1e-3")
    (tmp_path / "params.yaml").write_text(text)
    assert load_params(tmp_path / "params.yaml").train.learning_rate == pytest.approx(0.001)


def test_broken_yaml_and_missing_file_are_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "params.yaml"
    broken.write_text("train:\n  n_epochs: [1,\n")
    with pytest.raises(StageError, match=r"is not valid YAML at line \d+"):
        load_params(broken)
    with pytest.raises(StageError, match="not found: run from the project's root"):
        load_params(tmp_path / "nope.yaml")


@pytest.mark.parametrize("stage", ["training.train", "training.data"])
def test_a_stage_stops_on_bad_params_before_importing_tensorflow(
    tmp_path: Path, stage: str
) -> None:
    text = PARAMS.read_text()
    (tmp_path / "params.yaml").write_text(text.replace("n_epochs: 15", "n_epochs: -1"))
    probe = (
        "import sys\n"
        "from training.stage import run_stage\n"
        f"from {stage} import main\n"
        "code = run_stage(main)\n"
        "print(code, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    done = run(["python", "-c", probe], tmp_path)
    assert done.stdout.split() == ["2", "False", "False"]
    assert done.stderr.strip().splitlines() == [
        "error: params.yaml: train.n_epochs=-1 is not allowed: must be greater than or equal to 1"
    ]


def test_python_m_stage_exits_2_with_one_line(tmp_path: Path) -> None:
    text = PARAMS.read_text()
    (tmp_path / "params.yaml").write_text(text.replace("backbone: resnet50", "backbone: vgg"))
    done = run(["python", "-m", "training.train"], tmp_path, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: params.yaml: model.backbone='vgg' is not allowed")


def test_new_train_keys_have_defaults_that_keep_the_original_method() -> None:
    # A params file from before these keys existed still validates, as the original method.
    raw = copy.deepcopy(COMMITTED)
    for key in list(raw["train"]):
        if key not in ("image_width", "image_height", "batch_size", "learning_rate", "n_epochs"):
            del raw["train"][key]
    train = parse_params(raw).train
    assert (train.precision, train.xla, train.gpus, train.fine_tune_epochs) == (
        "float32",
        False,
        1,
        0,
    )
    assert train.monitor_system
    assert train.total_epochs == train.n_epochs


def test_gpus_takes_a_count_or_all() -> None:
    assert parse_params(with_value("train", "gpus", "all")).train.gpus == "all"
    assert parse_params(with_value("train", "gpus", 0)).train.gpus == 0
    assert parse_params(with_value("train", "fine_tune_from", "conv5_block1_1_conv"))


def test_fine_tuning_needs_a_pretrained_backbone() -> None:
    raw = with_value("model", "backbone", "tiny")
    raw["model"]["weights"] = "none"
    raw["train"]["fine_tune_epochs"] = 2
    with pytest.raises(StageError) as error:
        parse_params(raw)
    assert str(error.value) == (
        "params.yaml: train.fine_tune_epochs=2 needs a pretrained backbone, and "
        "model.backbone=tiny already trains whole: set train.fine_tune_epochs=0"
    )
