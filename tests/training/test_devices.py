"""Device set-up: one line naming the devices, no CUDA chatter on a CPU, a clear stop when an
expected GPU cannot be used."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.conftest import PARAMS, run
from training.devices import import_tensorflow
from training.gpus import Visible
from training.params import parse_params, read_yaml
from training.stage import StageError

PROBE = """
from training.devices import import_tensorflow
from training.gpus import claim_for_run
from training.params import load_params
params = load_params()
visible, claimed = claim_for_run(params.train.gpus)
print(import_tensorflow(params.train, visible, claimed).line)
"""


def test_a_cpu_run_says_so_in_one_line_and_tensorflow_says_nothing(tmp_path: Path) -> None:
    text = PARAMS.read_text().replace("gpus: 1 ", "gpus: 0 ")
    (tmp_path / "params.yaml").write_text(text)
    # TensorFlow's own level, not the tests' quieter one: what a user's log would show.
    done = run(["python", "-c", PROBE], tmp_path, env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert done.stdout.strip().splitlines() == ["devices: CPU only (train.gpus=0); float32"]
    assert done.stderr.strip() == ""


def test_an_expected_gpu_that_tensorflow_cannot_use_stops_the_run() -> None:
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a real GPU is usable here")
    # A driver that sees a card, as NVML would report it; this box has none, so TensorFlow
    # cannot use it, which is the case under test.
    visible = Visible((0,), ("NVIDIA Pretend 80GB",), True, "")
    train = parse_params(copy.deepcopy(read_yaml(PARAMS))).train
    with pytest.raises(StageError) as error:
        import_tensorflow(train, visible, (0,))
    message = str(error.value)
    assert message.startswith(
        "a GPU was expected (train.gpus=1, and the driver sees GPU 0: NVIDIA Pretend 80GB) "
        "but TensorFlow cannot use it: "
    )
    assert "train.gpus=0" in message
    assert "\n" not in message
