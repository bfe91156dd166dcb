"""Repositories with many experiments, made in seconds: commits and refs written directly.

Each experiment is what `dvc exp run` leaves behind, without training: a commit whose parent is
the baseline, with its own params.yaml and dvclive/metrics.json, under
`refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`. `make_repo` puts them all under one baseline;
`make_history` makes a history of many commits (for `-A`), each with a few experiments. Used by
the listing benchmark and tests.

    python bench/fixtures.py DIR --experiments 500
    python bench/fixtures.py DIR --commits 300 --per-commit 3
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pygit2

PARAMS = """\
data:
  source: synthetic
  url: https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip
  synthetic_train_per_class: 1000
  synthetic_validation_per_class: 500
train:
  image_width: {width}
  image_height: {width}
  batch_size: {batch}
  learning_rate: {lr}
  n_epochs: {epochs}
model:
  backbone: tiny
  weights: none
"""

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps:
      - train.py
    params:
      - train
      - model
    outs:
      - dvclive/plots:
          cache: false
    metrics:
      - dvclive/metrics.json:
          cache: false
"""


def _signature(when: int | None) -> pygit2.Signature:
    if when is None:
        return pygit2.Signature("catdog bench", "bench@catdog.invalid")
    return pygit2.Signature("catdog bench", "bench@catdog.invalid", when, 0)


def _metrics(rng: random.Random, epochs: int) -> str:
    accuracy = rng.uniform(0.5, 0.99)
    return json.dumps(
        {
            "train": {"accuracy": accuracy, "loss": 1 - accuracy},
            "eval": {"accuracy": accuracy - 0.01, "loss": 1.01 - accuracy},
            "step": epochs - 1,
        },
        indent=4,
    )


_Folder = dict[str, "_Folder | str | bytes"]


def _tree(repo: pygit2.Repository, files: Mapping[str, str | bytes]) -> pygit2.Oid:
    root: _Folder = {}
    for path, text in files.items():
        node = root
        *folders, name = path.split("/")
        for folder in folders:
            child = node.setdefault(folder, {})
            assert isinstance(child, dict), f"{path}: {folder} is a file"
            node = child
        node[name] = text

    def build(node: _Folder) -> pygit2.Oid:
        builder = repo.TreeBuilder()
        for name, child in sorted(node.items()):
            if isinstance(child, dict):
                builder.insert(name, build(child), pygit2.enums.FileMode.TREE)
            else:
                data = child if isinstance(child, bytes) else str(child).encode()
                builder.insert(name, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
        return builder.write()

    return build(root)


def _curve(rng: random.Random, name: str, epochs: int, start: float, end: float) -> str:
    rows = [f"step\t{name}"]
    for step in range(epochs):
        share = step / max(epochs - 1, 1)
        rows.append(f"{step}\t{start + (end - start) * share + rng.uniform(-0.02, 0.02):.4f}")
    return "\n".join(rows) + "\n"


def _confusion(rng: random.Random, accuracy: float) -> str:
    rows = []
    for actual in ("cat", "dog"):
        for _ in range(50):
            right = rng.random() < accuracy
            other = "dog" if actual == "cat" else "cat"
            rows.append({"actual": actual, "predicted": actual if right else other})
    return json.dumps(rows)


def _experiment_files(rng: random.Random, base_files: dict[str, str]) -> dict[str, str]:
    epochs = rng.choice([5, 10, 15])
    accuracy = rng.uniform(0.6, 0.95)
    return {
        **base_files,
        "params.yaml": PARAMS.format(
            width=rng.choice([128, 180, 224]),
            batch=rng.choice([16, 32, 64]),
            lr=rng.choice([0.1, 0.01, 0.001, 0.0003]) * rng.choice([1, 2, 5]),
            epochs=epochs,
        ),
        "dvclive/metrics.json": _metrics(rng, epochs),
        "dvclive/plots/metrics/eval/accuracy.tsv": _curve(rng, "accuracy", epochs, 0.5, accuracy),
        "dvclive/plots/metrics/train/accuracy.tsv": _curve(
            rng, "accuracy", epochs, 0.55, accuracy + 0.03
        ),
        "dvclive/plots/sklearn/confusion_matrix.json": _confusion(rng, accuracy),
    }


def _init(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / ".dvc").mkdir(exist_ok=True)
    (path / ".dvc" / "config").write_text("")
    (path / ".dvc" / ".gitignore").write_text("/config.local\n/tmp\n/cache\n")


def make_repo(
    path: Path,
    experiments: int,
    *,
    seed: int = 0,
    when: int | None = None,
    extra: Callable[[int], Mapping[str, bytes]] | None = None,
) -> Path:
    """A DVC project with one baseline commit and `experiments` experiments under it.

    With `when` (a Unix time), every commit is dated from it: the same revs on every run,
    for screenshots that must not change. `extra(n)`: more files of the n-th experiment
    (logged images, say), by path.
    """
    rng = random.Random(seed)
    _init(path)
    base_files = {
        ".dvc/config": "",
        ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
        "dvc.yaml": DVC_YAML,
        "train.py": "print('trained')\n",
        "params.yaml": PARAMS.format(width=180, batch=32, lr=0.01, epochs=15),
    }
    for name, text in base_files.items():
        (path / name).write_text(text)
    repo = pygit2.Repository(str(path))
    signature = _signature(when)
    base = repo.create_commit("HEAD", signature, signature, "baseline", _tree(repo, base_files), [])
    # pygit2 leaves checkout_head untyped.
    repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]
    baseline = str(base)
    for number in range(experiments):
        files: dict[str, str | bytes] = {**_experiment_files(rng, base_files)}
        if extra is not None:
            files.update(extra(number))
        signature = _signature(None if when is None else when + 60 * (number + 1))
        commit = repo.create_commit(
            None,
            signature,
            signature,
            f"dvc: commit experiment {number}",
            _tree(repo, files),
            [base],
        )
        repo.references.create(f"refs/exps/{baseline[:2]}/{baseline[2:]}/exp-{number:05d}", commit)
    return path


def make_history(
    path: Path, commits: int, per_commit: int, *, seed: int = 0, when: int = 1_700_000_000
) -> int:
    """A DVC project whose `main` has `commits` commits (each changing params.yaml and its
    metrics, as a project whose experiments get committed), `per_commit` experiments under
    each, a tag every 50 commits and a `side` branch of 5 commits off the middle: what
    `dvc exp show -A` walks. Commit dates start at `when`, a minute apart.

    Returns the number of rows `dvc exp show -A` lists (workspace included).
    """
    rng = random.Random(seed)
    _init(path)
    base_files = {
        ".dvc/config": "",
        ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
        "dvc.yaml": DVC_YAML,
        "train.py": "print('trained')\n",
    }
    repo = pygit2.Repository(str(path))
    parent: list[pygit2.Oid] = []
    middle: pygit2.Oid | None = None
    clock = when

    def commit(ref: str | None, message: str, files: dict[str, str]) -> pygit2.Oid:
        nonlocal clock
        clock += 60
        signature = _signature(clock)
        return repo.create_commit(ref, signature, signature, message, _tree(repo, files), parent)

    def add_experiments(baseline: pygit2.Oid, files: dict[str, str]) -> None:
        sha = str(baseline)
        for number in range(per_commit):
            experiment = commit(None, f"dvc: commit experiment {number}", files)
            repo.references.create(f"refs/exps/{sha[:2]}/{sha[2:]}/{sha[:7]}-{number}", experiment)

    files: dict[str, str] = {}
    for number in range(commits):
        # A committed baseline keeps its params and metrics, not its plots.
        files = {k: v for k, v in _experiment_files(rng, base_files).items()
                 if not k.startswith("dvclive/plots/")}  # fmt: skip
        head = commit("refs/heads/main", f"commit {number}", files)
        if number % 50 == 49:
            repo.references.create(f"refs/tags/v{number // 50}", head)
        if number == commits // 2:
            middle = head
        parent = [head]  # the next commit's, and this commit's experiments' parent
        add_experiments(head, _experiment_files(rng, base_files))
    rows = 1 + commits * (1 + per_commit)
    if middle is not None:
        parent = [middle]
        for number in range(5):
            side = commit("refs/heads/side", f"side {number}", _experiment_files(rng, base_files))
            parent = [side]
            add_experiments(side, _experiment_files(rng, base_files))
        rows += 5 * (1 + per_commit)
    repo.set_head("refs/heads/main")
    # pygit2 leaves checkout_head untyped.
    repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--experiments", type=int, default=500)
    parser.add_argument("--commits", type=int, help="a history of this many commits instead")
    parser.add_argument("--per-commit", type=int, default=3, help="experiments per commit")
    args = parser.parse_args()
    if args.commits:
        rows = make_history(args.path, args.commits, args.per_commit)
        print(f"{args.path}: {args.commits} commits, {rows} rows in `dvc exp show -A`")
        return
    make_repo(args.path, args.experiments)
    print(f"{args.path}: 1 baseline, {args.experiments} experiments")


if __name__ == "__main__":
    main()
