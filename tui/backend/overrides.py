"""`-S [file:]key=value[,value...]` parameter overrides, checked before anything is started.

DVC applies these with Hydra's override grammar, so they are parsed with Hydra's own parser
(`1_0` is the int 10, `0x10` stays the string DVC writes, `it's` is a grammar error), then
checked against the params file they name: the file must lie inside the repository and parse,
the key must exist (unless added with `+`), and every value must have the type of the value it
replaces (`null` included). Last, DVC's own `apply_overrides` is run on a scratch copy of the
file for every combination of a sweep, so that whatever DVC would refuse at run time is refused
now, and the project's own check of its params (paramscheck.py) sees each result. A bad
override is refused with one line, and nothing is written or launched.

Hydra and DVC are imported here, on the way to a run, never on the listing's path.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.errors import BackendError
from tui.backend.formats import UnreadableFile, flatten, parse_file
from tui.backend.paramscheck import check_command, run_check

DEFAULT_PARAMS_FILE = "params.yaml"


@dataclass(frozen=True)
class Override:
    """One checked `-S` argument."""

    raw: str
    file: str
    key: str
    values: tuple[Any, ...]
    """One value, several for a sweep (`dvc exp run --queue` queues one run each), none for a
    deletion (`~key`)."""

    @property
    def is_sweep(self) -> bool:
        """More than one value: a grid axis."""
        return len(self.values) > 1

    @property
    def override(self) -> str:
        """The Hydra override, without the file: what DVC applies to that file."""
        return split_file(self.raw)[1]


def split_file(raw: str) -> tuple[str, str]:
    """(params file, override) as DVC's `to_path_overrides` splits `-S` (a `:` before `=`)."""
    head = raw.partition("=")[0]
    if ":" not in head:
        return DEFAULT_PARAMS_FILE, raw
    file, _, override = raw.partition(":")
    return file, override


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return "null"


def _fits(current: Any, value: Any) -> bool:
    # An untyped (null) key takes anything; a typed key never takes null.
    if current is None:
        return True
    if value is None:
        return False
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, float):
        return isinstance(value, int | float)
    if isinstance(current, int):
        return isinstance(value, int)
    if isinstance(current, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, type(current))


_BOILERPLATE = ("Error parsing override", "See https://")


def _first_line(error: Exception) -> str:
    # Hydra's first line only repeats the input; what went wrong is on the next one.
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_BOILERPLATE)]
    return (meaningful or lines or [type(error).__name__])[0]


def params_path(root: Path, file: str) -> Path:
    """The params file's path, refused when it lies outside the repository: DVC would rewrite
    that outside file and put it into the git index, breaking every later run."""
    path = (root / file).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BackendError(f"{file} is outside the repository: params files must be inside {root}")
    return path


def _read_params(raw: str, root: Path, file: str) -> dict[str, Any]:
    try:
        path = params_path(root, file)
    except BackendError as error:
        raise BackendError(f"-S {raw}: {error}") from None
    try:
        return dict(flatten(parse_file(file, path.read_bytes())))
    except (FileNotFoundError, IsADirectoryError):
        raise BackendError(f"-S {raw}: {file} does not exist: check the file name") from None
    except UnreadableFile as error:
        raise BackendError(f"-S {raw}: {file} does not parse ({error}): fix it first") from None


def _hydra_values(raw: str, text: str) -> tuple[str, tuple[Any, ...], bool, bool]:
    """(key, values, adding, deleting) of one override, by Hydra's own grammar."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType
    from hydra.errors import HydraException

    try:
        (parsed,) = OverridesParser.create().parse_overrides(overrides=[text])
    except HydraException as error:
        raise BackendError(
            f"-S {raw}: not a valid override ({_first_line(error)}); quote a value that holds "
            'quotes, commas or spaces, e.g. key="it\'s"'
        ) from None
    if parsed.value_type == ValueType.GLOB_CHOICE_SWEEP:
        raise BackendError(f"-S {raw}: glob() sweeps are not supported by DVC")
    try:
        if parsed.is_delete():
            values: tuple[Any, ...] = ()
        elif parsed.is_sweep_override():
            values = tuple(parsed.sweep_iterator())
        else:
            values = (parsed.value(),)
    except HydraException as error:
        raise BackendError(f"-S {raw}: not a valid override ({_first_line(error)})") from None
    return (
        str(parsed.key_or_group),
        values,
        parsed.is_add() or parsed.is_force_add(),
        (parsed.is_delete()),
    )


def parse_override(raw: str, root: Path) -> Override:
    """Check one `-S` argument against the params file it names."""
    file, text = split_file(raw.strip())
    if not text.partition("=")[0].strip().lstrip("+~"):
        raise BackendError(f"-S {raw}: the key is empty")
    if "=" not in text and not text.startswith("~"):
        raise BackendError(f"-S {raw}: expected key=value, e.g. -S train.learning_rate=0.1")
    current_params = _read_params(raw, root, file)
    key, values, adding, deleting = _hydra_values(raw, text)
    if key not in current_params and not adding:
        if deleting:
            raise BackendError(f"-S {raw}: {file} has no key {key} to delete")
        close = difflib.get_close_matches(key, list(current_params), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else " (prefix it with + to add it)"
        raise BackendError(f"-S {raw}: {file} has no key {key}{hint}")
    if key in current_params:
        current = current_params[key]
        for value in values:
            if not _fits(current, value):
                raise BackendError(
                    f"-S {raw}: {key} is {_type_name(current)} in {file} "
                    f"({current!r}), not {_type_name(value)} ({value!r})"
                )
    return Override(raw, file, key, values)


def _combinations(overrides: Sequence[Override]) -> list[dict[str, list[str]]]:
    """The overrides of each run, by file: one run, or one per combination of a sweep."""
    if not overrides:
        return [{}]
    from dvc.exceptions import DvcException
    from dvc.utils.hydra import get_hydra_sweeps

    by_file: dict[str, list[str]] = {}
    for override in overrides:
        by_file.setdefault(override.file, []).append(override.override)
    try:
        return [{f: list(items) for f, items in c.items()} for c in get_hydra_sweeps(by_file)]
    except DvcException as error:
        raise BackendError(f"-S: {_first_line(error)}") from None


def _apply_as_dvc_would(root: Path, overrides: Sequence[Override]) -> None:
    """Run DVC's own `apply_overrides` on scratch copies, for each combination of a sweep, and
    the project's own check (`.catdog-tui.toml`) on each resulting params.yaml."""
    command = check_command(root)
    if not overrides and command is None:
        return
    with tempfile.TemporaryDirectory(prefix="catdog-tui-params-") as scratch:
        for number, combination in enumerate(_combinations(overrides)):
            copies: dict[str, Path] = {}
            for file, items in combination.items():
                copy = copies[file] = Path(scratch) / f"{number}-{len(copies)}{Path(file).suffix}"
                shutil.copyfile(params_path(root, file), copy)
                _dvc_applies(copy, file, items)
            if command is None:
                continue
            params = copies.get(DEFAULT_PARAMS_FILE)
            if params is None and (root / DEFAULT_PARAMS_FILE).is_file():
                params = Path(scratch) / f"{number}-params.yaml"
                shutil.copyfile(root / DEFAULT_PARAMS_FILE, params)
            if params is None:
                continue
            reason = run_check(root, command, params, DEFAULT_PARAMS_FILE)
            if reason:
                given = " ".join(f"-S {item}" for items in combination.values() for item in items)
                raise BackendError(f"{given or 'params.yaml'}: {reason}")


def _dvc_applies(copy: Path, file: str, items: list[str]) -> None:
    from dvc.exceptions import DvcException
    from dvc.utils.hydra import apply_overrides

    try:
        apply_overrides(copy, items)
    except DvcException as error:
        cause = error.__cause__
        detail = _first_line(cause) if cause else _first_line(error)
        raise BackendError(
            f"-S {' '.join(items)}: DVC would refuse it for {file} ({detail})"
        ) from None


def check_overrides(raws: Iterable[str], root: Path, *, queue: bool = True) -> list[Override]:
    """Check every `-S` argument; the first bad one raises BackendError.

    `queue` says whether the run goes into DVC's queue: only a queued run may be a sweep.
    """
    overrides = [parse_override(raw, root) for raw in raws]
    sweeps = [o.raw for o in overrides if o.is_sweep]
    if sweeps and not queue:
        raise BackendError(
            f"-S {sweeps[0]} is a sweep (several values): sweeps run through the queue, add --queue"
        )
    _apply_as_dvc_would(root, overrides)
    return overrides
