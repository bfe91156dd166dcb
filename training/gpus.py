"""Which GPUs a training run may use, chosen before TensorFlow is imported.

Runs share a machine's cards through lock files, one per card, machine-wide (not per repository):

    ${CATDOG_TUI_GPU_LOCK_DIR:-/tmp/catdog-tui-gpus-$UID}/gpu-<index>.lock

A run claims a card by holding an exclusive `fcntl.flock` on its file for the life of its process;
the kernel drops the lock when the process ends, however it ends, so a crashed run never leaves a
card taken. After taking the lock the run writes one JSON object into the file:

    {"pid": 1234, "repo": "/abs/path/of/repo", "experiment": "<DVC_EXP_NAME or workspace>",
     "started": "2026-11-27T21:54:47+00:00"}

A file whose lock nobody holds is a leftover of a finished run and means the card is free, whatever
it contains. `read_claims` reports the cards taken now; it imports neither TensorFlow nor anything
of this project, so a UI can copy or call it.

`<index>` is the card's index in NVIDIA's PCI-bus order (`nvidia-smi`'s, and NVML's); a claiming
run sets `CUDA_DEVICE_ORDER=PCI_BUS_ID` so that CUDA numbers the cards the same way.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tui.backend.box import claims_dir

WAIT_POLL_S = 1.0
"""How often a run that waits for a card tries again (a card frees when any run ends)."""


def lock_dir() -> Path:
    """The machine-wide folder of claim files, for this user (where the app reads them)."""
    return claims_dir()


def _lock_path(directory: Path, index: int) -> Path:
    return directory / f"gpu-{index}.lock"


def read_claims(directory: Path) -> dict[int, dict[str, Any]]:
    """Cards claimed now, by index, each with its claim's JSON (`{}` while a claim is being
    written). Probes each file with a shared lock, released at once: a file it can lock is free."""
    claims: dict[int, dict[str, Any]] = {}
    try:
        paths = sorted(directory.glob("gpu-*.lock"))
    except OSError:
        return claims
    for path in paths:
        try:
            index = int(path.stem.removeprefix("gpu-"))
        except ValueError:
            continue
        try:
            with path.open("rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    text = handle.read().decode("utf-8", "replace")
                else:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    continue
        except OSError:
            continue
        try:
            claim = json.loads(text)
        except ValueError:
            claim = {}
        claims[index] = claim if isinstance(claim, dict) else {}
    return claims


@dataclass(frozen=True)
class Visible:
    """The cards this process could use, and how that was found out."""

    indices: tuple[int, ...]
    names: tuple[str, ...]
    driver: bool
    """True when an NVIDIA driver answered (NVML), or CUDA_VISIBLE_DEVICES names cards."""
    reason: str
    """Why there are no cards, when there are none."""


def _cuda_visible() -> list[str] | None:
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def visible_gpus() -> Visible:
    """The NVIDIA cards of this machine, without TensorFlow: NVML when nvidia-ml-py is installed,
    else CUDA_VISIBLE_DEVICES, else none. A CUDA_VISIBLE_DEVICES list of indices narrows NVML's."""
    listed = _cuda_visible()
    if listed == [] or listed == ["-1"]:
        return Visible((), (), False, "CUDA_VISIBLE_DEVICES hides every GPU")
    try:
        import pynvml
    except ImportError:
        if listed is None:
            return Visible(
                (), (), False, "no nvidia-ml-py to ask the driver, no CUDA_VISIBLE_DEVICES"
            )
        if not all(part.isdigit() for part in listed):
            return Visible((), tuple(listed), True, "")
        indices = tuple(int(part) for part in listed)
        return Visible(indices, tuple(f"GPU {i}" for i in indices), True, "")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        return Visible((), (), False, f"no NVIDIA driver ({error})")
    try:
        count = pynvml.nvmlDeviceGetCount()
        names = {}
        for index in range(count):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(index))
            names[index] = name.decode() if isinstance(name, bytes) else str(name)
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
    if count == 0:
        return Visible((), (), True, "the NVIDIA driver reports no GPU")
    indices = tuple(range(count))
    if listed is not None:
        if not all(part.isdigit() for part in listed):
            return Visible((), tuple(listed), True, "CUDA_VISIBLE_DEVICES names cards by UUID")
        indices = tuple(int(part) for part in listed if int(part) in names)
    return Visible(indices, tuple(names[i] for i in indices), True, "")


@dataclass
class Claim:
    """Cards this process holds; the locks last as long as the open files (the process)."""

    indices: tuple[int, ...]
    handles: list[IO[bytes]]

    def release(self) -> None:
        """Give the cards back before the process ends (tests; a run just exits)."""
        for handle in self.handles:
            handle.close()
        self.handles.clear()


def _try_lock(directory: Path, index: int) -> IO[bytes] | None:
    handle = _lock_path(directory, index).open("a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _write_claim(handle: IO[bytes], repo: Path) -> None:
    claim = {
        "pid": os.getpid(),
        "repo": str(repo.resolve()),
        "experiment": os.environ.get("DVC_EXP_NAME") or "workspace",
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(claim).encode())
    handle.flush()


def _holders(directory: Path, indices: Sequence[int]) -> str:
    claims = read_claims(directory)
    parts = []
    for index in indices:
        claim = claims.get(index, {})
        who = claim.get("experiment", "another run")
        parts.append(f"GPU {index}: {who} (pid {claim.get('pid', '?')})")
    return ", ".join(parts)


def claim_gpus(
    candidates: Sequence[int],
    wanted: int | None,
    *,
    directory: Path | None = None,
    repo: Path = Path(),
    say: Callable[[str], None] = print,
    poll_s: float = WAIT_POLL_S,
    wait: Callable[[float], None] = time.sleep,
) -> Claim:
    """Lock `wanted` free cards of `candidates` (lowest indices first; `None`: every free card,
    at least one). While too few are free, hold none, say once who holds them, and try again
    every `poll_s` seconds: a run that is stopped while it waits simply ends."""
    folder = directory or lock_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    need = 1 if wanted is None else wanted
    told = False
    while True:
        handles: list[IO[bytes]] = []
        taken: list[int] = []
        for index in candidates:
            if wanted is not None and len(taken) == wanted:
                break
            handle = _try_lock(folder, index)
            if handle is not None:
                handles.append(handle)
                taken.append(index)
        if len(taken) >= need:
            for handle in handles:
                _write_claim(handle, repo)
            return Claim(tuple(taken), handles)
        # Hold nothing while waiting, or two multi-card runs could each hold half of what the
        # other needs.
        for handle in handles:
            handle.close()
        if not told:
            busy = [index for index in candidates if index not in taken]
            say(
                f"waiting for {need} free GPU{'s' if need > 1 else ''} of "
                f"{len(candidates)}: {_holders(folder, busy)}"
            )
            told = True
        wait(poll_s)


def repo_root(directory: Path) -> Path:
    """The repository a run belongs to: a queued run works in a scratch copy inside
    `<repo>/.dvc/tmp/exps/`, and its claim names the repository, not the copy."""
    resolved = directory.resolve()
    parts = resolved.parts
    for index in range(len(parts) - 3):
        if parts[index : index + 3] == (".dvc", "tmp", "exps"):
            return Path(*parts[:index])
    return resolved


_HELD: list[Claim] = []
"""Claims of this process, kept referenced so that their files (and locks) stay open."""


def claim_for_run(gpus: int | str, repo: Path = Path()) -> tuple[Visible, tuple[int, ...]]:
    """Pick and lock the cards of this run, then point CUDA at them (before TensorFlow loads).

    `gpus=0` hides every card. With no driver, nothing is claimed (the run trains on the CPU).
    A CUDA_VISIBLE_DEVICES of card UUIDs is taken as the user's own choice and left alone.
    """
    if gpus == 0:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return Visible((), (), False, "train.gpus=0"), ()
    visible = visible_gpus()
    if not visible.driver or not visible.indices:
        if not visible.driver:
            # Keeps TensorFlow from probing CUDA at all: its warnings would say no more than we do.
            os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return visible, ()
    wanted = None if gpus == "all" else int(gpus)
    if wanted is not None and wanted > len(visible.indices):
        from training.stage import StageError

        raise StageError(
            f"train.gpus={gpus} but this machine has {len(visible.indices)} GPU"
            f"{'s' if len(visible.indices) > 1 else ''} ({', '.join(visible.names)}): "
            f"set train.gpus to at most {len(visible.indices)}, or all"
        )
    claim = claim_gpus(visible.indices, wanted, repo=repo)
    _HELD.append(claim)
    os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(str(index) for index in claim.indices)
    return visible, claim.indices
