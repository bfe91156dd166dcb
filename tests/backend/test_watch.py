"""The watcher reports appends under followed folders, with inotify or by polling."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tui.backend.watch import Watcher, WatchMode, choose_mode, only_live_steps


def first_change(watcher: Watcher, action: object) -> set[Path]:
    seen: list[set[Path]] = []

    def collect() -> None:
        for changes in watcher.changes():
            seen.append(changes)
            watcher.stop()

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    # Act until seen: a poller only notices changes after its first scan has finished.
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        action()  # type: ignore[operator]
        thread.join(timeout=0.5)
    watcher.stop()
    assert seen, "no change was reported"
    return seen[0]


@pytest.mark.parametrize("kind", ["inotify", "polling"])
def test_an_appended_line_is_reported(tmp_path: Path, kind: str) -> None:
    tsv = tmp_path / "dvclive" / "plots" / "metrics" / "train" / "loss.tsv"
    tsv.parent.mkdir(parents=True)
    tsv.write_text("step\tloss\n")
    watcher = Watcher([tmp_path / "dvclive"], WatchMode(kind, "test"))  # type: ignore[arg-type]

    def append() -> None:
        with tsv.open("a") as handle:
            handle.write("0\t0.5\n")

    assert tsv in first_change(watcher, append)


def test_a_folder_that_does_not_exist_yet_is_watched_from_its_parent(tmp_path: Path) -> None:
    watcher = Watcher([tmp_path / "dvclive"])
    (tmp_path / "unrelated").mkdir()

    def create() -> None:
        (tmp_path / "unrelated" / "noise.txt").write_text("ignored")
        (tmp_path / "dvclive").mkdir(exist_ok=True)
        (tmp_path / "dvclive" / "metrics.json").write_text("{}")

    changes = first_change(watcher, create)
    assert all("unrelated" not in str(path) for path in changes)


def test_polling_is_chosen_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CATDOG_TUI_POLLING", "1")
    assert choose_mode(tmp_path).kind == "polling"
    monkeypatch.delenv("CATDOG_TUI_POLLING")
    assert choose_mode(tmp_path) == WatchMode("inotify", "inotify")


def test_only_live_steps_tells_a_dvclive_step_from_what_a_listing_shows(tmp_path: Path) -> None:
    live = [tmp_path / "dvclive", tmp_path / "eval" / "live"]
    step = {tmp_path / "dvclive" / "metrics.json", tmp_path / "eval/live/plots/metrics/a.tsv",
            tmp_path / ".dvc/tmp/exps/run/DVCLIVE_STEP_COMPLETED"}  # fmt: skip
    assert only_live_steps(step, live)
    assert not only_live_steps({*step, tmp_path / ".git/refs/exps/ab/cd/x"}, live)
    assert not only_live_steps({tmp_path / "params.yaml"}, live)
    assert not only_live_steps({tmp_path / "dvclive.json"}, live), "a sibling is not inside"
