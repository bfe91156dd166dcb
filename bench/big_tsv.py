"""Big DVCLive TSVs: time and peak memory to read and downsample one of about 100 MB.

Writes a DVCLive metric TSV (`timestamp`, `step`, value) of `--mb` megabytes into a git + DVC
repository three ways, then reads it, each in a fresh process so that peak RSS
(`resource.getrusage`) is that reading's alone:

- `committed`: the TSV is in the experiment's commit (`LiveReader.read_commit`: git blob);
- `cached`: the DVCLive folder is a DVC-cached stage output, found through `dvc.lock` and a
  `.dir` manifest in `.dvc/cache` (the same reader);
- `tail`: the file on disk, read by the incremental tail of a running experiment
  (`LiveReader.read_tree`), then one appended row read again;
- `naive`: the reading this replaced (decode, split every line, keep every point), for scale.

    python bench/big_tsv.py --mb 100
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENV = {
    **os.environ,
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@catdog.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@catdog.invalid",
}
TSV = "plots/metrics/train/loss.tsv"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=ENV, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def write_tsv(path: Path, megabytes: float) -> int:
    """A DVCLive-shaped TSV of about `megabytes`; the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    rows, size, target = 0, 0, int(megabytes * 1e6)
    with path.open("w", newline="") as handle:
        handle.write("timestamp\tstep\tloss\n")
        while size < target:
            lines = []
            for _ in range(10_000):
                value = 2.0 / (1 + rows / 50_000) + rng.gauss(0, 0.05)
                lines.append(f"{1700000000000 + rows * 7}\t{rows}\t{value!r}\n")
                rows += 1
            chunk = "".join(lines)
            handle.write(chunk)
            size += len(chunk)
    return rows


def make_repos(folder: Path, megabytes: float) -> tuple[dict[str, str], int]:
    """The repositories to read; their paths (and revs) by mode, and the rows written."""
    committed = folder / "committed"
    committed.mkdir()
    _git(committed, "init", "-q")
    (committed / "dvc.yaml").write_text("metrics:\n  - dvclive/metrics.json\n")
    rows = write_tsv(committed / "dvclive" / TSV, megabytes)
    (committed / "dvclive" / "metrics.json").write_text('{"loss": 0.1}')
    _git(committed, "add", "-A")
    _git(committed, "commit", "-q", "-m", "big")

    # The same file as a DVC-cached directory output: objects and a `.dir` manifest in the
    # cache, the hash in dvc.lock, nothing in git.
    cached = folder / "cached"
    cache = cached / ".dvc" / "cache" / "files" / "md5"
    cached.mkdir()
    _git(cached, "init", "-q")
    data = (committed / "dvclive" / TSV).read_bytes()
    file_md5 = hashlib.md5(data).hexdigest()
    (cache / file_md5[:2]).mkdir(parents=True, exist_ok=True)
    (cache / file_md5[:2] / file_md5[2:]).write_bytes(data)
    del data
    manifest = json.dumps([{"md5": file_md5, "relpath": TSV}]).encode()
    dir_md5 = hashlib.md5(manifest).hexdigest() + ".dir"
    (cache / dir_md5[:2]).mkdir(parents=True, exist_ok=True)
    (cache / dir_md5[:2] / dir_md5[2:]).write_bytes(manifest)
    (cached / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: python train.py\n    outs: [dvclive]\n"
        "plots:\n  - dvclive/plots/metrics:\n      x: step\n"
    )
    (cached / "dvc.lock").write_text(
        f"schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n"
        f"    - path: dvclive\n      hash: md5\n      md5: {dir_md5}\n"
    )
    _git(cached, "add", "-A")
    _git(cached, "commit", "-q", "-m", "cached")
    return {
        "committed": f"{committed}@{_git(committed, 'rev-parse', 'HEAD')}",
        "cached": f"{cached}@{_git(cached, 'rev-parse', 'HEAD')}",
        "tail": str(committed),
        "naive": str(committed / "dvclive" / TSV),
    }, rows


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, target: str) -> dict[str, object]:
    """Read in this process; seconds, peak RSS and what was kept."""
    from tui.backend.gitstore import GitStore
    from tui.backend.history import LiveReader

    before = _rss_mb()  # after the imports: what any reading costs on top
    extra: dict[str, object] = {}
    started = time.perf_counter()
    if mode == "naive":
        text = Path(target).read_text()
        steps, values = [], []
        for line in text.splitlines()[1:]:
            cells = line.split("\t")
            steps.append(int(cells[1]))
            values.append(float(cells[2]))
        kept, logged = len(steps), len(steps)
    elif mode == "tail":
        root = Path(target)
        reader = LiveReader(GitStore(root))
        series = reader.read_tree(root).series["train/loss"]
        seconds = time.perf_counter() - started
        with (root / "dvclive" / TSV).open("a") as handle:
            handle.write(f"1800000000000\t{series.logged}\t0.001\n")
        again = time.perf_counter()
        series = reader.read_tree(root).series["train/loss"]
        extra["append_ms"] = round((time.perf_counter() - again) * 1000, 1)
        kept, logged = len(series.steps), series.logged
        started = time.perf_counter() - seconds
    else:
        path, rev = target.split("@")
        series = LiveReader(GitStore(Path(path))).read_commit(rev).series["train/loss"]
        kept, logged = len(series.steps), series.logged
    seconds = time.perf_counter() - started
    return {
        "mode": mode, "seconds": round(seconds, 2), "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_mb": round(before, 1), "points_kept": kept, "rows": logged, **extra,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="size of the TSV (MB)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--make", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.target)))
        return
    if args.make:
        print(json.dumps(make_repos(Path(args.make), args.mb)))
        return
    with tempfile.TemporaryDirectory(prefix="big-tsv-") as tmp:
        # Every step in a process of its own: Linux keeps a process's peak RSS across fork
        # and exec, so this one must never hold the file for the figures to be each reading's.
        made = subprocess.run(
            [sys.executable, __file__, "--mb", str(args.mb), "--make", tmp],
            env=ENV, check=True, capture_output=True, text=True,
        )  # fmt: skip
        targets, rows = json.loads(made.stdout)
        size = Path(targets["naive"]).stat().st_size / 1e6
        print(f"TSV: {size:.0f} MB, {rows:,} rows")
        print(f"{'mode':<10} {'seconds':>8} {'peak RSS MB':>12} {'(at start)':>11} "
              f"{'points kept':>12}  note")  # fmt: skip
        for mode, target in targets.items():
            done = subprocess.run(
                [sys.executable, __file__, "--measure", mode, "--target", target],
                env=ENV, check=True, capture_output=True, text=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            note = f"one appended row read in {result['append_ms']} ms" if mode == "tail" else ""
            print(
                f"{mode:<10} {result['seconds']:>8} {result['peak_rss_mb']:>12} "
                f"{result['rss_before_mb']:>11} {result['points_kept']:>12}  {note}"
            )


if __name__ == "__main__":
    main()
