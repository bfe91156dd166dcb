"""The numbers logged after training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.evaluate import evaluate_logits


def test_loss_and_accuracy_on_logits() -> None:
    labels = np.array([[1.0], [0.0], [1.0], [0.0]])
    logits = np.array([[2.0], [-1.0], [-0.5], [0.0]])
    result = evaluate_logits(labels, logits)
    expected_loss = np.mean(
        [
            math.log1p(math.exp(-2.0)),
            math.log1p(math.exp(-1.0)),
            math.log1p(math.exp(0.5)),
            math.log(2),
        ]
    )
    assert result.loss == pytest.approx(expected_loss)
    # A logit of exactly 0 is probability 0.5: predicted "cat", which is right for label 0.
    assert result.accuracy == 0.75
    assert result.misclassified == 1


def test_extreme_logits_do_not_overflow() -> None:
    result = evaluate_logits(np.array([1.0, 0.0]), np.array([1e4, -1e4]))
    assert result.loss == pytest.approx(0.0)
    assert result.accuracy == 1.0
