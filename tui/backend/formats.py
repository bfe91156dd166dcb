"""Parse params and metrics files the way DVC does, fast enough to read hundreds per listing.

DVC reads YAML 1.2 with ruamel (`dvc/utils/serialize/_yaml.py`: `YAML(typ="safe")`, pure
Python here). ruamel costs about a millisecond per small file, too slow for a listing of a
thousand commits, so YAML goes through PyYAML's C loader with ruamel's own YAML 1.2 resolvers
and constructors in place of PyYAML's 1.1 ones: `1e-3` is a float, `yes`/`on` stay strings,
`1_000` and `0b101` are ints, a repeated key is an error, as they are for DVC. A table-driven
test holds this equal to DVC's parser.

Other formats by extension, as DVC's LOADERS: JSON, TOML (tomllib gives what tomlkit gives),
Python (DVC's own AST reader, imported only for `.py` files), YAML for anything else.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - DVC brings tomli on 3.10
    import tomli as tomllib

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class Yaml12Loader(_Loader):  # type: ignore[misc,valid-type]
    """A safe loader that resolves plain scalars as ruamel does for YAML 1.2."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """PyYAML keeps the last of repeated keys; ruamel (so DVC) refuses the file."""
        own = [key for key, _ in node.value if key.tag != _MERGE]
        merges = len(node.value) - len(own)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if not merges:
            duplicated = len(mapping) < len(own)
        else:  # merged keys may repeat own ones; keys are memoised by node, so this is cheap
            duplicated = merges > 1 or len({self.construct_object(key) for key in own}) < len(own)
        if duplicated:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found duplicate key"
            )
        return mapping


# ruamel.yaml's YAML 1.2 resolvers (ruamel/yaml/resolver.py), in its order: ahead of the
# null, timestamp and merge resolvers kept from PyYAML, floats before ints.
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$",
        "-+0123456789",
    ),
]
_REPLACED = {tag for tag, _, _ in _RESOLVERS}
Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        *((tag, re.compile(pattern)) for tag, pattern, firsts in _RESOLVERS if first in firsts),
        *((tag, regexp) for tag, regexp in kept if tag not in _REPLACED),
    ]
    for first, kept in {
        **{first: [] for _, _, firsts in _RESOLVERS for first in firsts},
        **_Loader.yaml_implicit_resolvers,
    }.items()
}


def _sign(text: str) -> tuple[int, str]:
    sign = -1 if text[0] == "-" else 1
    return sign, text[1:] if text[0] in "+-" else text


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    # ruamel's SafeConstructor.construct_yaml_int for YAML 1.2.
    sign, text = _sign(str(loader.construct_scalar(node)).replace("_", ""))
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    # ruamel's SafeConstructor.construct_yaml_float for YAML 1.2.
    sign, text = _sign(str(loader.construct_scalar(node)).replace("_", "").lower())
    if text == ".inf":
        return sign * float("inf")
    return float("nan") if text == ".nan" else sign * float(text)


def _construct_timestamp(
    loader: yaml.SafeLoader, node: yaml.ScalarNode
) -> datetime.date | datetime.datetime:
    # Dates are rare in params: borrow ruamel's construction (time zone names, rounding).
    from ruamel.yaml.util import create_timestamp, timestamp_regexp

    match = timestamp_regexp.match(str(loader.construct_scalar(node)))
    if match is None:
        raise yaml.constructor.ConstructorError(None, None, "not a timestamp", node.start_mark)
    value: datetime.date | datetime.datetime = create_timestamp(**match.groupdict())
    return value


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class UnreadableFile(ValueError):
    """A params or metrics file that does not parse (perhaps being written)."""


def parse_yaml(data: bytes | str) -> Any:
    """YAML 1.2, as DVC reads params.yaml and dvc.yaml."""
    try:
        return yaml.load(data, Loader=Yaml12Loader)
    except (yaml.YAMLError, ValueError, IndexError) as error:
        # ValueError/IndexError: scalars such as `0x_` that match the int pattern but hold no
        # digits; ruamel fails on them too.
        raise UnreadableFile(str(error).splitlines()[0] if str(error) else repr(error)) from None


def _parse_py(name: str, text: str) -> Any:
    # DVC reads assignments and class attributes by AST; its module is imported only here.
    from dvc.utils.serialize import parse_py

    try:
        return parse_py(text, name)
    except Exception as error:  # any failure of DVC's reader is its per-file error
        raise UnreadableFile(str(error)) from None


def parse_file(name: str, data: bytes) -> Any:
    """A params or metrics file by its extension, as DVC's `load_path` gives it: YAML when
    unknown, and an empty mapping for an empty (or false) YAML or JSON document."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    try:
        text = data.decode("utf-8")  # DVC opens every file as UTF-8
        if suffix == "json":
            return json.loads(text) or {}
        if suffix == "toml":
            return tomllib.loads(text)
        if suffix == "py":
            return _parse_py(name, text)
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableFile(str(error)) from None
    return parse_yaml(text) or {}


@functools.lru_cache(maxsize=64)
def parse_file_shared(name: str, data: bytes) -> Any:
    """parse_file, remembered for the files read last: a listing reads a commit's params.yaml
    (and dvc.lock) once to index the commit and once for its values. The result is shared
    between callers: never change it."""
    return parse_file(name, data)


def jsonable(value: Any) -> Any:
    """A parsed value as `dvc exp show --json` prints it (dates as ISO text, tuples as lists,
    keys as text), and anything JSON cannot hold (a YAML set) as text rather than a crash."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def unencodable(value: Any) -> str | None:
    """The type of a value DVC's experiment cache cannot store (its JSON encoder knows
    datetime, but not date, time or set), or None when it can."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return next((name for item in value if (name := unencodable(item))), None)
    if value is None or isinstance(value, str | int | float | datetime.datetime):
        return None
    return type(value).__name__


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys and leaf values of nested mappings; lists are leaves, as DVC shows them."""
    if isinstance(data, Mapping) and (data or not prefix):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], data
