"""Series names grouped into charts: one group per metric, validation above training."""

from __future__ import annotations

from tui.backend.layout import group_charts, parse_series_name

KERAS = ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "precision", "recall", "auc"]


def test_keras_flat_names_pair_val_x_with_x() -> None:
    groups = group_charts(KERAS)
    assert [(g.metric, [c.series for c in g.charts]) for g in groups] == [
        ("accuracy", ["val_accuracy", "accuracy"]),
        ("auc", ["auc"]),
        ("loss", ["val_loss", "loss"]),
        ("lr", ["lr"]),
        ("precision", ["precision"]),
        ("recall", ["recall"]),
    ]
    assert not any(c.empty for g in groups for c in g.charts)


def test_dvclive_paths_pair_eval_with_train_and_say_the_folder() -> None:
    names = ["train/loss", "eval/loss", "train/accuracy", "eval/accuracy", "train/epoch/lr"]
    groups = group_charts(names)
    assert [(g.title, [c.series for c in g.charts]) for g in groups] == [
        ("accuracy", ["eval/accuracy", "train/accuracy"]),
        ("loss", ["eval/loss", "train/loss"]),
        ("lr", ["train/epoch/lr"]),
    ]
    two = group_charts(["fit:train/loss", "fit:eval/loss", "test:loss"])
    assert [(g.title, [c.series for c in g.charts]) for g in two] == [
        ("fit: loss", ["fit:eval/loss", "fit:train/loss"]),
        ("test: loss", ["test:loss"]),
    ]
    assert parse_series_name("fit:eval/val_loss").split == "eval/val"


def test_only_existing_metrics_make_charts_and_empty_ones_are_flagged() -> None:
    groups = group_charts(["loss"], empty=["val_loss", "loss", "accuracy"])
    flagged = {c.series: c.empty for g in groups for c in g.charts}
    assert flagged == {"loss": False, "val_loss": True, "accuracy": True}
    assert group_charts([]) == []
