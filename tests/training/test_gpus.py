"""GPU claims between runs: lock files, one card per run, the reader the app uses.

This box has no GPU: the tests pass a pretend list of card indices to `claim_gpus` (a real card
cannot exist here), and the claims themselves are real locks held by real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from training.gpus import claim_for_run, claim_gpus, read_claims, repo_root, visible_gpus

CLAIMER = """
import sys
from pathlib import Path
from training.gpus import claim_gpus
claim = claim_gpus([0, 1], 1, directory=Path(sys.argv[1]), repo=Path(sys.argv[2]), poll_s=0.05)
print("claimed", *claim.indices, flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def claimers(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def start_claimer(
    started: list[subprocess.Popen[str]], lock_dir: Path, experiment: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, str(lock_dir), str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "DVC_EXP_NAME": experiment},
    )
    started.append(process)
    return process


def test_runs_take_different_cards_and_a_third_waits_for_one(
    tmp_path: Path, claimers: list[subprocess.Popen[str]]
) -> None:
    lock_dir = tmp_path / "locks"
    first = start_claimer(claimers, lock_dir, "exp-a")
    assert first.stdout is not None
    assert first.stdout.readline().split() == ["claimed", "0"]
    second = start_claimer(claimers, lock_dir, "exp-b")
    assert second.stdout is not None
    assert second.stdout.readline().split() == ["claimed", "1"]

    claims = read_claims(lock_dir)
    assert sorted(claims) == [0, 1]
    assert claims[0]["pid"] == first.pid
    assert (claims[0]["experiment"], claims[1]["experiment"]) == ("exp-a", "exp-b")
    assert claims[1]["repo"] == str(ROOT)
    assert "T" in claims[1]["started"]

    # Both cards taken: the third run says who holds them and waits; once the first run
    # ends (the kernel drops its lock), the third gets card 0.
    said: list[str] = []
    waits: list[float] = []

    def first_ends_while_waiting(seconds: float) -> None:
        waits.append(seconds)
        first.kill()
        first.wait()

    claim = claim_gpus(
        [0, 1], 1, directory=lock_dir, say=said.append, wait=first_ends_while_waiting
    )
    try:
        assert claim.indices == (0,)
        assert len(said) == 1
        assert said[0].startswith("waiting for 1 free GPU of 2: GPU 0: exp-a (pid ")
        assert "GPU 1: exp-b" in said[0]
        assert len(waits) == 1
        assert json.loads((lock_dir / "gpu-0.lock").read_text())["pid"] != first.pid
    finally:
        claim.release()


def test_a_finished_run_leaves_no_claim(tmp_path: Path) -> None:
    claim = claim_gpus([0, 1, 2], 2, directory=tmp_path)
    assert claim.indices == (0, 1)
    assert sorted(read_claims(tmp_path)) == [0, 1]
    claim.release()
    # The files stay, with their old contents, but nobody holds them: the cards are free.
    assert (tmp_path / "gpu-0.lock").read_text()
    assert read_claims(tmp_path) == {}
    assert read_claims(tmp_path / "never-made") == {}


def test_all_takes_every_free_card(tmp_path: Path) -> None:
    held = claim_gpus([0, 1, 2], 1, directory=tmp_path)
    try:
        every = claim_gpus([0, 1, 2], None, directory=tmp_path)
        assert every.indices == (1, 2)
        every.release()
    finally:
        held.release()


def test_visible_gpus_without_a_driver_is_cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    pynvml = pytest.importorskip("pynvml")

    # What NVML answers on a machine without the NVIDIA driver, whatever machine runs this.
    def no_driver() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", no_driver)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    visible = visible_gpus()
    assert visible.indices == ()
    assert not visible.driver
    assert visible.reason.startswith("no NVIDIA driver (")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus().reason == "CUDA_VISIBLE_DEVICES hides every GPU"


def test_gpus_0_hides_every_card_and_claims_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    visible, claimed = claim_for_run(0)
    assert claimed == ()
    assert visible.reason == "train.gpus=0"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""


def test_a_queued_run_claims_in_the_name_of_its_repository(tmp_path: Path) -> None:
    scratch = tmp_path / "repo" / ".dvc" / "tmp" / "exps" / "tmpabc123"
    assert repo_root(scratch) == (tmp_path / "repo").resolve()
    assert repo_root(tmp_path / "repo") == (tmp_path / "repo").resolve()


def test_the_reader_needs_no_tensorflow() -> None:
    probe = (
        "import sys\n"
        "from training.gpus import read_claims\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]
