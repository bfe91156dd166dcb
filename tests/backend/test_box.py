"""The machine line's readings: this machine's CPU and RAM for real; GPUs through a stand-in
for NVML (no NVIDIA GPU or driver can exist on the machines these tests run on), with the
claims of living and ended runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tui.backend.box import BoxReader, read_claims
from tui.display import machine_line

GIB = 1024**3


class FakeNvml:
    """Two cards, as pynvml's functions return them."""

    NVML_TEMPERATURE_GPU = 0

    def __init__(self, fail_init: bool = False) -> None:
        self.fail_init = fail_init

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise RuntimeError("Driver Not Loaded")

    def nvmlShutdown(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return SimpleNamespace(used=(handle + 1) * 10 * GIB, total=80 * GIB)

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        return SimpleNamespace(gpu=[87, 3][handle], memory=40)

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        if handle == 1:
            raise RuntimeError("Not Supported")
        return 64


def claim(directory: Path, index: int, pid: int, experiment: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"gpu-{index}.lock").write_text(json.dumps(
        {"pid": pid, "repo": "/r", "experiment": experiment, "started": "2026-11-27T00:00:00"}
    ))  # fmt: skip


def ended_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_this_machine_cpu_and_ram_are_read(tmp_path: Path) -> None:
    reader = BoxReader(lock_dir=tmp_path)
    time.sleep(0.05)  # psutil's CPU load is measured between two reads
    reading = reader.read()
    assert reading.ram_total and reading.ram_used and 0 < reading.ram_used <= reading.ram_total
    assert reading.cpu_percent is not None and 0 <= reading.cpu_percent <= 100
    if not reading.gpus:
        assert reading.no_gpu, "a machine without GPU readings says why"
    assert "RAM" in machine_line(reading) and "CPU" in machine_line(reading)


def test_gpus_with_the_runs_that_hold_them(tmp_path: Path) -> None:
    claim(tmp_path, 0, os.getpid(), "lr-0.1")  # a living process holds card 0
    claim(tmp_path, 1, ended_pid(), "gone")  # card 1's run ended: free
    reading = BoxReader(nvml=FakeNvml(), lock_dir=tmp_path).read()
    assert [(g.index, g.utilisation, g.temperature) for g in reading.gpus] == [
        (0, 87, 64), (1, 3, None)
    ]  # fmt: skip
    line = machine_line(reading)
    assert "GPU0 H100 80GB HBM3 87% 10.0/80G 64°C lr-0.1" in line
    assert "GPU1 H100 80GB HBM3 3% 20.0/80G free" in line


def test_no_driver_is_said_once_and_the_rest_still_reads(tmp_path: Path) -> None:
    reading = BoxReader(nvml=FakeNvml(fail_init=True), lock_dir=tmp_path).read()
    assert reading.gpus == () and "Driver Not Loaded" in (reading.no_gpu or "")
    assert reading.ram_total


def test_claim_files_being_written_or_foreign_are_skipped(tmp_path: Path) -> None:
    tmp_path.joinpath("gpu-0.lock").write_text('{"pid": ')  # half-written
    tmp_path.joinpath("gpu-x.lock").write_text("{}")
    tmp_path.joinpath("gpu-2.lock").write_text('{"experiment": "no pid"}')
    claim(tmp_path, 3, os.getpid(), "")
    assert {i: c.experiment for i, c in read_claims(tmp_path).items()} == {3: "?"}
    assert read_claims(tmp_path / "missing") == {}
