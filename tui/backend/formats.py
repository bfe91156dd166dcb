"""Parse params and metrics files the way DVC does, fast enough to read hundreds per listing.

DVC reads YAML 1.2 (ruamel). ruamel's pure-Python loader costs about a millisecond per small
file, too slow for a listing of a thousand commits, so YAML goes through PyYAML's C loader with
YAML 1.2 core-schema resolvers in place of the 1.1 ones: `1e-3` is a float, `yes`/`on` stay
strings, as they are for DVC.
"""

from __future__ import annotations

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


class Yaml12Loader(_Loader):  # type: ignore[misc,valid-type]
    """A safe loader that resolves plain scalars by the YAML 1.2 core schema."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in {
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    }]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}  # fmt: skip
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    return float("nan") if text == ".nan" else float(text)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


class UnreadableFile(ValueError):
    """A params or metrics file that does not parse (perhaps being written)."""


def parse_yaml(data: bytes | str) -> Any:
    """YAML 1.2, as DVC reads params.yaml and dvc.yaml."""
    try:
        return yaml.load(data, Loader=Yaml12Loader)
    except yaml.YAMLError as error:
        raise UnreadableFile(str(error).splitlines()[0]) from None


def parse_file(name: str, data: bytes) -> Any:
    """A params or metrics file by its extension (YAML when unknown, as DVC defaults)."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        if suffix == "json":
            return json.loads(data)
        if suffix == "toml":
            return tomllib.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableFile(str(error)) from None
    return parse_yaml(data)


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys and leaf values of nested mappings; lists are leaves, as DVC shows them."""
    if isinstance(data, Mapping) and (data or not prefix):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], data
