"""`-S [file:]key=value[,value...]` parameter overrides, checked before anything is started.

DVC applies these with Hydra's override grammar. We check what can be checked from the params
file itself: the key must exist (unless added with `+`), and every value must have the type of
the value it replaces. A typo or a wrong type is refused with one line, and nothing is written
or launched.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.errors import BackendError
from tui.backend.formats import UnreadableFile, flatten, parse_file, parse_yaml

DEFAULT_PARAMS_FILE = "params.yaml"
_FUNCTION = re.compile(r"^(choice|range)\((.*)\)$")


@dataclass(frozen=True)
class Override:
    """One checked `-S` argument."""

    raw: str
    file: str
    key: str
    values: tuple[Any, ...]
    """One value, or several for a sweep (`dvc exp run --queue` queues one run each)."""

    @property
    def is_sweep(self) -> bool:
        """More than one value: a grid axis."""
        return len(self.values) > 1


def _split_values(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts]


def _parse_scalar(text: str) -> Any:
    try:
        return parse_yaml(text) if text else ""
    except UnreadableFile:
        return text


def _parse_values(text: str) -> list[Any]:
    function = _FUNCTION.match(text.strip())
    if function and function.group(1) == "range":
        bounds = [_parse_scalar(part) for part in _split_values(function.group(2))]
        if not 1 <= len(bounds) <= 3 or not all(isinstance(b, int) for b in bounds):
            raise ValueError("range() takes 1 to 3 integers")
        return list(range(*bounds))
    if function:
        return [_parse_scalar(part) for part in _split_values(function.group(2))]
    return [_parse_scalar(part) for part in _split_values(text)]


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
    if current is None or value is None:
        return True
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, float):
        return isinstance(value, int | float)
    if isinstance(current, int):
        return isinstance(value, int)
    if isinstance(current, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, type(current))


def parse_override(raw: str, root: Path) -> Override:
    """Check one `-S` argument against the params file it names."""
    text = raw.strip()
    adding = text.startswith("+")
    text = text.lstrip("+")
    deleting = text.startswith("~")
    text = text.lstrip("~")
    file = DEFAULT_PARAMS_FILE
    head = text.split("=", 1)[0]
    if ":" in head:
        file, text = text.split(":", 1)
    if deleting:
        key, value_text = text.split("=", 1)[0], None
    elif "=" not in text:
        raise BackendError(f"-S {raw}: expected key=value, e.g. -S train.learning_rate=0.1")
    else:
        key, value_text = text.split("=", 1)
    key = key.strip()
    if not key:
        raise BackendError(f"-S {raw}: the key is empty")

    try:
        current_params = dict(flatten(parse_file(file, (root / file).read_bytes())))
    except FileNotFoundError:
        raise BackendError(f"-S {raw}: {file} does not exist: check the file name") from None
    except UnreadableFile as error:
        raise BackendError(f"-S {raw}: {file} does not parse ({error}): fix it first") from None

    if key not in current_params and not adding:
        close = difflib.get_close_matches(key, list(current_params), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else " (prefix it with + to add it)"
        raise BackendError(f"-S {raw}: {file} has no key {key}{hint}")
    if value_text is None:
        return Override(raw, file, key, ())
    try:
        values = _parse_values(value_text)
    except ValueError as error:
        raise BackendError(f"-S {raw}: {error}") from None
    if key in current_params:
        current = current_params[key]
        for value in values:
            if not _fits(current, value):
                raise BackendError(
                    f"-S {raw}: {key} is {_type_name(current)} in {file} "
                    f"({current!r}), not {_type_name(value)} ({value!r})"
                )
    return Override(raw, file, key, tuple(values))


def check_overrides(raws: Iterable[str], root: Path) -> list[Override]:
    """Check every `-S` argument; the first bad one raises BackendError."""
    return [parse_override(raw, root) for raw in raws]
