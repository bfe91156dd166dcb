"""What is logged after training, from the best checkpoint's predictions on the validation set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from dvclive import Live
from PIL import Image

from training.layout import CLASS_NAMES

MISCLASSIFIED_IMAGES = 8


@dataclass(frozen=True)
class Evaluation:
    """Validation metrics of one set of predictions."""

    loss: float
    accuracy: float
    misclassified: int


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    # tanh form: no overflow warning for large negative logits.
    result: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return result


def evaluate_logits(labels: np.ndarray, logits: np.ndarray) -> Evaluation:
    """Binary cross-entropy on logits and accuracy at logit 0, as the training metrics are."""
    y = labels.reshape(-1).astype(np.float64)
    z = logits.reshape(-1).astype(np.float64)
    # The numerically stable form of -y*log(sigmoid(z)) - (1-y)*log(1-sigmoid(z)).
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    wrong = int(np.count_nonzero((z > 0) != (y > 0.5)))
    return Evaluation(float(losses.mean()), 1.0 - wrong / len(y), wrong)


def log_evaluation(live: Live, labels: np.ndarray, logits: np.ndarray, images: np.ndarray) -> None:
    """Confusion matrix, ROC and precision-recall curves, a few misclassified images, and the
    best checkpoint's metrics, into the same DVCLive experiment as the training curves."""
    truth = labels.reshape(-1).astype(int)
    scores = logits.reshape(-1).astype(np.float64)
    predicted = (scores > 0).astype(int)
    names = np.array(CLASS_NAMES)

    live.log_sklearn_plot(
        "confusion_matrix",
        names[truth].tolist(),
        names[predicted].tolist(),
        name="confusion_matrix.json",
        title="Confusion matrix (validation, best epoch)",
        x_label="Actual",
        y_label="Predicted",
    )
    probabilities = _sigmoid(scores)
    if len(np.unique(truth)) == len(CLASS_NAMES):
        live.log_sklearn_plot("roc", truth, probabilities, name="roc.json")
        live.log_sklearn_plot(
            "precision_recall", truth, probabilities, name="precision_recall.json"
        )

    for index in np.flatnonzero(predicted != truth)[:MISCLASSIFIED_IMAGES]:
        name = f"misclassified/{index:05d}_{names[truth[index]]}_as_{names[predicted[index]]}.png"
        live.log_image(name, Image.fromarray(images[index]))

    best = evaluate_logits(labels, logits)
    live.log_metric("best/eval/loss", best.loss, plot=False)
    live.log_metric("best/eval/accuracy", best.accuracy, plot=False)
