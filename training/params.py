"""The one place where `params.yaml` is read and validated, before any stage imports TensorFlow.

The schema is a contract: the UI's params form and `-S` checks read the same file, and the `train`
keys are those of the original project so that `-S train.learning_rate=0.1` works as people know it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

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

BACKBONES = ("resnet50", "mobilenet_v3_small", "tiny")
"""ImageNet backbones of keras.applications, and `tiny`, a small CNN trained from scratch."""

# Smaller inputs leave ResNet50/MobileNet with a feature map of zero size after their strides.
MIN_IMAGE_SIDE = 32
MAX_IMAGE_SIDE = 1024


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


class TrainParams(_Section):
    """Stage `train`: the keys of the original project."""

    image_width: ImageSide
    image_height: ImageSide
    batch_size: Annotated[int, Field(ge=1, le=4096)]
    learning_rate: Annotated[float, Field(gt=0, le=10), AfterValidator(_finite)]
    n_epochs: Annotated[int, Field(ge=1, le=10_000)]


class ModelParams(_Section):
    """Stage `train`: which backbone, with which weights."""

    backbone: Literal["resnet50", "mobilenet_v3_small", "tiny"]
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


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if error["type"] == "missing":
        return f"{key} is missing: add it to params.yaml"
    if error["type"] == "extra_forbidden":
        return f"{key} is not a known key: remove it, or check its spelling"
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
