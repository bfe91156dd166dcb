"""The whole pipeline through the real `dvc exp run`, twice: synthetic data, tiny backbone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow

EPOCHS = 2
QUICK = [
    "-S", "data.source=synthetic",
    "-S", "data.synthetic_train_per_class=400",
    "-S", "data.synthetic_validation_per_class=100",
    "-S", "model.backbone=tiny",
    "-S", "model.weights=none",
    "-S", "train.image_width=64",
    "-S", "train.image_height=64",
    "-S", "train.batch_size=16",
    "-S", f"train.n_epochs={EPOCHS}",
]  # fmt: skip


def tsv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_two_experiments_run_log_and_learn(project: Path) -> None:
    first = run(["dvc", "exp", "run", *QUICK, "-S", "train.learning_rate=0.003"], project)
    assert "epoch 2/2" in first.stdout
    second = run(["dvc", "exp", "run", *QUICK, "-S", "train.learning_rate=0.001"], project)
    assert "Ran experiment(s)" in second.stdout

    refs = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], project).stdout
    experiments = [ref for ref in refs.split() if not ref.startswith("refs/exps/exec/")]
    assert len(experiments) == 2

    metrics = json.loads((project / "dvclive" / "metrics.json").read_text())
    for split in ("train", "eval"):
        assert set(metrics[split]) == {"accuracy", "loss"}
    assert metrics["step"] == EPOCHS - 1
    for split in ("train", "eval"):
        for name in ("accuracy", "loss"):
            rows = tsv_rows(project / "dvclive" / "plots" / "metrics" / split / f"{name}.tsv")
            assert [int(row["step"]) for row in rows] == list(range(EPOCHS))

    matrix = json.loads(
        (project / "dvclive" / "plots" / "sklearn" / "confusion_matrix.json").read_text()
    )
    assert len(matrix) == 200
    assert {row["actual"] for row in matrix} == {"cat", "dog"}
    assert {row["predicted"] for row in matrix} <= {"cat", "dog"}
    for name in ("roc.json", "precision_recall.json"):
        assert (project / "dvclive" / "plots" / "sklearn" / name).stat().st_size > 0

    # Both experiments learned: clearly above chance on 200 validation images.
    shown = json.loads(run(["dvc", "exp", "show", "--json"], project).stdout)
    learned = [
        exp["data"]["metrics"]["dvclive/metrics.json"]["data"]["best"]["eval"]["accuracy"]
        for baseline in shown
        for exp_range in baseline.get("experiments") or []
        for exp in exp_range["revs"]
    ]
    assert len(learned) == 2
    assert min(learned) >= 0.7, learned

    csv_epochs = tsv_rows_csv(project / "metrics.csv")
    assert len(csv_epochs) == EPOCHS

    # The saved model is the best epoch's: it scores what the run logged as best.
    load = (
        "from pathlib import Path\n"
        "import keras\n"
        "from training.datasets import load_split\n"
        "from training.evaluate import evaluate_logits\n"
        "model = keras.models.load_model('models/model.keras')\n"
        "images, labels = load_split(Path('data/raw/validation'), 64, 64)\n"
        "logits = model.predict(images.astype('float32'), verbose=0)\n"
        "print(evaluate_logits(labels, logits).accuracy)\n"
    )
    reloaded = float(run(["python", "-c", load], project).stdout.strip().splitlines()[-1])
    assert reloaded == pytest.approx(metrics["best"]["eval"]["accuracy"], abs=1e-9)

    plots = run(["dvc", "plots", "show", "--json", "--split"], project).stdout
    assert '"confusion"' in plots or "confusion" in plots


def tsv_rows_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))
