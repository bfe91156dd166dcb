"""The machine the runs share, read live: each GPU's load, memory, temperature and the run that
holds it; CPU and RAM.

GPUs through NVIDIA's management library (`nvidia-ml-py`, imported as `pynvml`): the numbers
`nvidia-smi` shows, in-process, a few milliseconds a read. Which run holds a card comes from
the claim files training runs hold (training/gpus.py documents them): one JSON object per
card, `{"pid", "repo", "experiment", "started"}`, in `$CATDOG_TUI_GPU_LOCK_DIR` (by default
`/tmp/catdog-tui-gpus-$UID`). A claim counts while its process lives: the reader never takes
the claim's lock, so that it cannot make a run starting at that moment think a card is taken.

Where nothing can be read (no driver, no library), the reading says why and has no GPUs; CPU
and RAM come from psutil, which DVC already brings.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCK_DIR_ENV = "CATDOG_TUI_GPU_LOCK_DIR"


def claims_dir() -> Path:
    """Where training runs leave their GPU claims, for this user."""
    configured = os.environ.get(LOCK_DIR_ENV)
    return Path(configured) if configured else Path(f"/tmp/catdog-tui-gpus-{os.getuid()}")


@dataclass(frozen=True)
class Claim:
    """A run holding a card."""

    experiment: str
    repo: str
    pid: int


@dataclass(frozen=True)
class Gpu:
    """One card, as NVML reports it."""

    index: int
    name: str
    utilisation: int
    """Percent of the last sample period a kernel ran."""
    memory_used: int
    memory_total: int
    temperature: int | None
    claim: Claim | None = None


@dataclass(frozen=True)
class BoxReading:
    """One reading of the machine."""

    gpus: tuple[Gpu, ...] = ()
    no_gpu: str | None = None
    """Why no GPU is shown (no NVIDIA driver, the library missing), or None."""
    cpu_percent: float | None = None
    ram_used: int | None = None
    ram_total: int | None = None
    cpu_count: int | None = None
    errors: tuple[str, ...] = field(default=())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    except OSError:
        return False
    return True


def read_claims(directory: Path, alive: Callable[[int], bool] = _alive) -> dict[int, Claim]:
    """Cards held now by a living run, by index (a leftover file of an ended run is free)."""
    claims: dict[int, Claim] = {}
    try:
        paths = sorted(directory.glob("gpu-*.lock"))
    except OSError:
        return claims
    for path in paths:
        try:
            index = int(path.stem.removeprefix("gpu-"))
            data: Any = json.loads(path.read_text())
            pid = int(data["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # free, or a claim being written: seen on the next reading
        if alive(pid):
            experiment = str(data.get("experiment") or "?")
            claims[index] = Claim(experiment, str(data.get("repo", "")), pid)
    return claims


class BoxReader:
    """Reads the machine; keep one (NVML is set up once, CPU load is measured between reads)."""

    def __init__(self, nvml: Any | None = None, lock_dir: Path | None = None) -> None:
        """`nvml`: the `pynvml` module, or a stand-in for tests on machines without a GPU."""
        self.lock_dir = lock_dir or claims_dir()
        self._nvml = nvml
        self._no_gpu: str | None = None
        if nvml is None:
            try:
                import pynvml

                self._nvml = pynvml
            except ImportError:
                self._no_gpu = "no GPU readings: nvidia-ml-py is not installed"
        if self._nvml is not None:
            try:
                self._nvml.nvmlInit()
            except Exception as error:  # NVMLError_* subclasses, LibraryNotFound
                self._nvml = None
                self._no_gpu = f"no NVIDIA GPU readable ({_nvml_reason(error)})"
        try:
            import psutil

            self._psutil: Any = psutil
            psutil.cpu_percent(interval=None)  # starts the measurement the next read ends
        except ImportError:
            self._psutil = None

    def read(self) -> BoxReading:
        """GPUs (when NVML works), CPU and RAM. Never raises; a part that fails is absent."""
        gpus: tuple[Gpu, ...] = ()
        errors: list[str] = []
        if self._nvml is not None:
            try:
                gpus = self._gpus()
            except Exception as error:
                errors.append(f"GPU: {_nvml_reason(error)}")
        cpu = used = total = count = None
        if self._psutil is not None:
            try:
                cpu = float(self._psutil.cpu_percent(interval=None))
                memory = self._psutil.virtual_memory()
                used, total = int(memory.total - memory.available), int(memory.total)
                count = int(self._psutil.cpu_count() or 0) or None
            except Exception as error:  # a container hiding /proc: no CPU line
                errors.append(f"CPU: {error}")
        return BoxReading(gpus, self._no_gpu, cpu, used, total, count, tuple(errors))

    def _gpus(self) -> tuple[Gpu, ...]:
        nvml: Any = self._nvml
        claims = read_claims(self.lock_dir)
        found = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name = nvml.nvmlDeviceGetName(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                temperature: int | None = int(
                    nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
                )
            except Exception:
                temperature = None  # some cards do not report it
            found.append(
                Gpu(
                    index=index,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    utilisation=int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    memory_used=int(memory.used),
                    memory_total=int(memory.total),
                    temperature=temperature,
                    claim=claims.get(index),
                )
            )
        return tuple(found)

    def close(self) -> None:
        """Let NVML go."""
        if self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._nvml = None


def _nvml_reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.removeprefix("NVML Shared Library Not Found").strip() or "no NVIDIA driver"
