"""Device set-up of a training run, before anything else: which cards, memory growth, precision,
and one log line that names the devices in use.

Imports TensorFlow only inside `import_tensorflow`, whose C++ start-up lines it filters: on a
machine without an NVIDIA driver, TensorFlow's CUDA warnings (no driver, cuInit failed, ...)
would fill the top of every log with nothing our own "CPU only" line does not say.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from training.gpus import Visible
from training.params import TrainParams
from training.stage import StageError

# Said by TensorFlow on every start, on every machine; none of it is actionable.
STARTUP_NOISE = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
    "computation placer already registered",
)
# Said when CUDA is absent; noise once we know, and say, that the run uses the CPU.
CUDA_NOISE = (
    "Could not find cuda drivers",
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "TF-TRT Warning",
    "Could not load dynamic library",
    "Cannot dlopen some GPU libraries",
)


@contextlib.contextmanager
def _filtered_stderr(drop: tuple[str, ...]) -> Iterator[None]:
    # TensorFlow's C++ side writes to file descriptor 2 directly, so redirect the descriptor,
    # not sys.stderr, and replay what is worth reading afterwards.
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [
                line
                for line in capture.read().decode("utf-8", "replace").splitlines()
                if line.strip() and not any(pattern in line for pattern in drop)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Devices:
    """What a run trains on."""

    strategy: Any
    """A `tf.distribute.Strategy`: MirroredStrategy over several cards, else the default."""
    gpus: int
    line: str
    """The one log line that names the devices in use."""


def _cannot_use_gpu(gpus: int | str, visible: Visible, claimed: tuple[int, ...]) -> str:
    import tensorflow as tf

    cards = ", ".join(visible.names) or "the GPU"
    if claimed:
        cards = ", ".join(
            f"GPU {index}: {name}"
            for index, name in zip(visible.indices, visible.names, strict=True)
            if index in claimed
        )
    if not tf.test.is_built_with_cuda():
        cause = f"this TensorFlow ({tf.__version__}) is built without CUDA"
    else:
        cause = (
            "it cannot load CUDA (its libraries missing, or too old for the driver; "
            "TensorFlow's own message, if any, is above)"
        )
    return (
        f"a GPU was expected (train.gpus={gpus}, and the driver sees {cards}) but TensorFlow "
        f"cannot use it: {cause}. Install the CUDA extra (`pip install -e '.[gpu]'`), or set "
        "train.gpus=0 to train on the CPU"
    )


def expects_gpu(train: TrainParams, visible: Visible) -> bool:
    """A GPU is expected where the params ask for one and a driver sees one."""
    return train.gpus != 0 and visible.driver and bool(visible.names)


def import_tensorflow(train: TrainParams, visible: Visible, claimed: tuple[int, ...]) -> Devices:
    """Import TensorFlow quietly, turn on memory growth, set the precision policy and pick the
    distribution strategy; StageError when a GPU is expected and TensorFlow cannot use it."""
    expected = expects_gpu(train, visible)
    drop = STARTUP_NOISE if expected else STARTUP_NOISE + CUDA_NOISE
    with _filtered_stderr(drop):
        import keras
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:
            # Without it TensorFlow takes all of a card's memory at start, and a second run
            # on a shared card (or the app's own GPU use) fails to allocate.
            tf.config.experimental.set_memory_growth(gpu, True)
    if expected and not gpus:
        raise StageError(_cannot_use_gpu(train.gpus, visible, claimed))
    keras.mixed_precision.set_global_policy(train.precision)
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()

    extras: list[str] = [train.precision]
    if train.xla:
        extras.append("XLA")
    if gpus:
        names = [
            name
            for index, name in zip(visible.indices, visible.names, strict=False)
            if not claimed or index in claimed
        ] or [gpu.name for gpu in gpus]
        listed = ", ".join(names[: len(gpus)])
        what = f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({listed})"
        if len(gpus) > 1:
            extras.append("MirroredStrategy")
    else:
        if train.precision == "mixed_float16":
            extras.append("slower than float32 on a CPU")
        what = f"CPU only ({visible.reason or 'TensorFlow sees no GPU'})"
    return Devices(strategy, len(gpus), f"devices: {what}; {', '.join(extras)}")
