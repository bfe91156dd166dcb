"""The one place where `params.yaml` is read and validated, before any stage imports TensorFlow.

The schema is a contract: the UI's params form and `-S` checks read the same file, and the `train`
keys are those of the original project so that `-S train.learning_rate=0.1` works as people know it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from training.stage import StageError, run_stage

PARAMS_FILE = Path("params.yaml")

Backbone = Literal["resnet50", "mobilenet_v3_small", "tiny"]
"""ImageNet backbones of keras.applications, and `tiny`, a small CNN trained from scratch."""
BACKBONES: tuple[Backbone, ...] = get_args(Backbone)

# Smaller inputs leave ResNet50/MobileNet with a feature map of zero size after their strides.
MIN_IMAGE_SIDE = 32
MAX_IMAGE_SIDE = 1024
MAX_GPUS = 64


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


PositiveInt = Annotated[int, Field(ge=1)]
ImageSide = Annotated[int, Field(ge=MIN_IMAGE_SIDE, le=MAX_IMAGE_SIDE)]


class _Section(BaseModel):
    # Strict: a YAML string "15" or a bool is a mistake in params.yaml, not something to coerce.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DataParams(_Section):
    """Stage `data`: where the images in `data/raw` come from."""

    source: Literal["url", "synthetic"]
    """`url` downloads the filtered cats-vs-dogs archive; `synthetic` writes an offline stand-in."""
    url: str
    """The archive to download when `source` is `url`."""
    synthetic_train_per_class: PositiveInt
    """Images per class in the synthetic training split."""
    synthetic_validation_per_class: PositiveInt
    """Images per class in the synthetic validation split."""

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, url: str) -> str:
        if not url.startswith(("https://", "http://", "file://")):
            raise ValueError("must be an http(s):// or file:// URL")
        return url


LearningRate = Annotated[float, Field(gt=0, le=10), AfterValidator(_finite)]


class TrainParams(_Section):
    """Stage `train`: the keys of the original project, then how and where it trains.

    Every key after `n_epochs` has a default that leaves the original method as it was, so
    params files written before they existed still validate.
    """

    image_width: ImageSide
    image_height: ImageSide
    batch_size: Annotated[int, Field(ge=1, le=4096)]
    learning_rate: LearningRate
    n_epochs: Annotated[int, Field(ge=1, le=10_000)]
    precision: Literal["float32", "mixed_float16"] = "float32"
    """`mixed_float16` computes in float16 on GPUs with tensor cores; the logit stays float32."""
    xla: bool = False
    """Compile the training step with XLA (augmentation then runs in the input pipeline)."""
    gpus: int | Literal["all"] = 1
    """Cards one run uses: 0 for the CPU, a count, or `all`; more than one mirrors the model."""
    feature_batch_size: Annotated[int, Field(ge=1, le=65_536)] = 256
    """Batch size of the passes that only predict (the frozen backbone's features)."""
    fine_tune_epochs: Annotated[int, Field(ge=0, le=10_000)] = 0
    """Epochs of the second phase, with the top of the backbone unfrozen; 0 skips it."""
    fine_tune_from: int | str = -30
    """First backbone layer to unfreeze: an index (negative counts from the end) or a name."""
    fine_tune_learning_rate: LearningRate = 1e-5
    """Learning rate of the fine-tuning phase: small, so pretrained features are not wrecked."""
    monitor_system: bool = True
    """Log CPU, RAM, disk (and GPU) use through DVCLive's system monitor."""

    # Plain validators: a union's own errors would name each member ("gpus.int", ...), and
    # one line must name the key and what it takes.
    @field_validator("gpus", mode="plain")
    @classmethod
    def _gpus(cls, value: object) -> int | str:
        if value == "all" or (type(value) is int and 0 <= value <= MAX_GPUS):
            return value
        raise ValueError(f"must be 0 (the CPU), a count of cards up to {MAX_GPUS}, or all")

    @field_validator("fine_tune_from", mode="plain")
    @classmethod
    def _fine_tune_from(cls, value: object) -> int | str:
        if (type(value) is int) or (isinstance(value, str) and value.strip()):
            return value
        raise ValueError("must be a backbone layer's index (negative counts from the end) or name")

    @property
    def total_epochs(self) -> int:
        """Both phases: what DVCLive's steps and the epoch lines count to."""
        return self.n_epochs + self.fine_tune_epochs


class ModelParams(_Section):
    """Stage `train`: which backbone, with which weights."""

    backbone: Backbone
    weights: str
    """`imagenet`, `none`, or the path of a local Keras weights file for the backbone."""

    @field_validator("weights")
    @classmethod
    def _weights_exist(cls, weights: str) -> str:
        if weights not in ("imagenet", "none") and not Path(weights).is_file():
            raise ValueError(
                "must be imagenet, none, or the path of an existing Keras weights file"
            )
        return weights

    @model_validator(mode="after")
    def _tiny_has_no_pretrained_weights(self) -> ModelParams:
        if self.backbone == "tiny" and self.weights == "imagenet":
            raise ValueError(
                "model.weights=imagenet does not exist for model.backbone=tiny: "
                "use model.weights=none"
            )
        return self

    @property
    def frozen_backbone(self) -> bool:
        """Pretrained backbones are frozen (transfer learning); `tiny` learns from scratch."""
        return self.backbone != "tiny"


class Params(_Section):
    """All of `params.yaml`."""

    data: DataParams
    train: TrainParams
    model: ModelParams

    @model_validator(mode="after")
    def _fine_tuning_needs_a_frozen_backbone(self) -> Params:
        if self.train.fine_tune_epochs and not self.model.frozen_backbone:
            raise ValueError(
                f"train.fine_tune_epochs={self.train.fine_tune_epochs} needs a pretrained "
                f"backbone, and model.backbone={self.model.backbone} already trains whole: "
                "set train.fine_tune_epochs=0"
            )
        return self


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if error["type"] == "missing":
        return f"{key} is missing: add it to params.yaml"
    if error["type"] == "extra_forbidden":
        return f"{key} is not a known key: remove it, or check its spelling"
    if isinstance(error["input"], dict) and error["type"] == "value_error":
        return message
    if not key:
        return "must be a mapping with the sections data, train and model"
    if isinstance(error["input"], dict):
        return message
    return f"{key}={error['input']!r} is not allowed: {message[:1].lower()}{message[1:]}"


def parse_params(raw: Any, *, source: str = "params.yaml") -> Params:
    """Validate already-loaded params; raises StageError with one line naming the first bad key."""
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise StageError(f"{source}: {_describe(first)}") from None


def read_yaml(path: Path) -> Any:
    """Parse YAML the way DVC does (YAML 1.2), as plain Python values."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StageError(f"{path} not found: run from the project's root directory") from None
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise StageError(f"{path} is not valid YAML{where}: fix the file and run again") from None


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate `params.yaml`."""
    return parse_params(read_yaml(path), source=str(path))


def check_main(argv: list[str] | None = None) -> int:
    """`python -m training.params [FILE]`: check a params file as the stages will, without
    TensorFlow: exit 0, or one line on stderr and exit 2. catdog-tui runs it before a launch
    (see `.catdog-tui.toml`)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else PARAMS_FILE

    def check() -> None:
        load_params(path)

    return run_stage(check)


if __name__ == "__main__":
    sys.exit(check_main())
