"""Which files hold a project's params and metrics, by DVC's rules, and their values.

DVC's rules (dvc/repo/params/show.py, dvc/repo/metrics/show.py): params files are those named
by stage `params:` (a bare key means `params.yaml` beside the dvc.yaml; listing keys of a file
tracks only those keys, naming the file alone tracks all of it), by top-level `params:`, and
`params.yaml` at the root whenever it exists. Metrics files are stage outputs under `metrics:`
and top-level `metrics:` entries; folders stand for the files inside them. A metrics output
and top-level entries inside a cached output are not in git: their content is found in DVC's
cache through `dvc.lock` (see outs.py).

A Source hides whether files come from a commit or from the working tree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.backend.formats import UnreadableFile, flatten, parse_file, parse_yaml
from tui.backend.outs import (
    MISSING,
    NOT_IN_CACHE,
    OUTSIDE,
    CachedOut,
    CachedReader,
    OutError,
    inside_repo,
)

DEFAULT_PARAMS = "params.yaml"
DVCFILE = "dvc.yaml"
LOCKFILE = "dvc.lock"


class Source(Protocol):
    """Files of one revision of a project: a commit, or the working tree."""

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None if there is no such file."""

    def files_under(self, folder: str) -> list[str]:
        """The files inside `folder` (repo-relative, posix)."""

    def dvcfiles(self) -> list[str]:
        """The dvc.yaml files of this revision."""

    def cached(self, md5: str) -> bytes | None:
        """An object of DVC's local cache."""


@dataclass(frozen=True)
class MetricsFile:
    """A metrics file (or folder of them)."""

    path: str


@dataclass
class ProjectIndex:
    """What DVC would read params and metrics from."""

    params: dict[str, list[str]] = field(default_factory=dict)
    """File to tracked keys; an empty list tracks the whole file."""
    metrics: list[MetricsFile] = field(default_factory=list)
    outs: list[CachedOut] = field(default_factory=list)
    """Stage outputs DVC caches: where metrics missing from git or disk are found."""


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _track(params: dict[str, list[str]], file: str, keys: Iterable[str] | None) -> None:
    wanted = list(keys or [])
    current = params.get(file)
    if current is None:
        params[file] = wanted
    elif current and wanted:
        current.extend(k for k in wanted if k not in current)
    else:
        params[file] = []  # tracked whole somewhere: the whole file


def _stage_params(params: dict[str, list[str]], wdir: str, entries: Any) -> None:
    for entry in entries or []:
        if isinstance(entry, str):
            _track(params, _join(wdir, DEFAULT_PARAMS), [entry])
        elif isinstance(entry, Mapping):
            for file, keys in entry.items():
                _track(params, _join(wdir, str(file)), keys if isinstance(keys, list) else None)


def _out_path(entry: Any) -> tuple[str, bool] | None:
    if isinstance(entry, str):
        return entry, True
    if isinstance(entry, Mapping) and len(entry) == 1:
        path, options = next(iter(entry.items()))
        cache = options.get("cache", True) if isinstance(options, Mapping) else True
        return str(path), bool(cache)
    return None


def _stage_outs(index: ProjectIndex, dvcfile: str, name: str, wdir: str, stage: Any) -> None:
    lockfile = _join(posixpath.dirname(dvcfile), LOCKFILE)
    for kind in ("outs", "metrics", "plots"):
        entries = stage.get(kind)
        for entry in entries if isinstance(entries, list) else []:
            # One mapping may declare several outputs (`- a.json: {...}` `  b.json: {...}`).
            singles = [{k: v} for k, v in entry.items()] if isinstance(entry, Mapping) else [entry]
            for single in singles:
                out = _out_path(single)
                if out is not None and out[1]:
                    index.outs.append(CachedOut(_join(wdir, out[0]), lockfile, name, wdir))


def build_index(source: Source) -> ProjectIndex:
    """Read every dvc.yaml of `source` and collect its params and metrics files."""
    index = ProjectIndex()
    metrics: dict[str, MetricsFile] = {}
    for dvcfile in source.dvcfiles():
        folder = posixpath.dirname(dvcfile)
        data = source.read(dvcfile)
        try:
            parsed = parse_yaml(data) if data is not None else None
        except UnreadableFile:
            continue
        if not isinstance(parsed, Mapping):
            continue
        stages = parsed.get("stages") or {}
        for stage_name, stage in stages.items() if isinstance(stages, Mapping) else []:
            if not isinstance(stage, Mapping):
                continue
            wdir = _join(folder, str(stage.get("wdir", ".")))
            _stage_params(index.params, wdir, stage.get("params"))
            _stage_outs(index, dvcfile, str(stage_name), wdir, stage)
            for entry in stage.get("metrics") or []:
                out = _out_path(entry)
                if out is not None:
                    path = _join(wdir, out[0])
                    metrics[path] = MetricsFile(path)
        for file in parsed.get("params") or []:
            if isinstance(file, str):
                _track(index.params, _join(folder, file), None)
        for entry in parsed.get("metrics") or []:
            if isinstance(entry, str):
                path = _join(folder, entry)
                metrics.setdefault(path, MetricsFile(path))
    if source.read(DEFAULT_PARAMS) is not None:
        _track(index.params, DEFAULT_PARAMS, None)
    index.metrics = list(metrics.values())
    return index


def _select_keys(config: Any, keys: list[str]) -> Any:
    if not keys or not isinstance(config, Mapping):
        return config
    selected: dict[str, Any] = {}
    for key in keys:
        node: Any = config
        parts = key.split(".")
        try:
            for part in parts:
                node = node[part]
        except (KeyError, TypeError):
            continue
        target = selected
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = node
    return selected


def _metric_values(data: Any) -> Any:
    # As DVC's _extract_metrics: numbers and strings, in nested mappings; lists are dropped.
    if isinstance(data, int | float | str):
        return data
    if not isinstance(data, Mapping):
        return None
    kept = {}
    for key, value in data.items():
        extracted = _metric_values(value)
        if extracted not in (None, {}):
            kept[key] = extracted
    return kept


@dataclass
class Values:
    """Params and metrics of one revision, each `{file: {dotted.key: value}}`."""

    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _expand(source: Source, path: str) -> list[str]:
    if source.read(path) is not None:
        return [path]
    return sorted(source.files_under(path))


def _metrics_files(
    source: Source, cached: CachedReader, path: str
) -> list[tuple[str, bytes | None]]:
    """The files a metrics entry stands for, from git or disk, else from DVC's cache."""
    paths = _expand(source, path)
    if paths:
        return [(file, source.read(file) or b"") for file in paths]
    found = cached.read(path)
    if found is None:
        raise OutError(MISSING)
    return found


def read_values(source: Source, index: ProjectIndex) -> Values:
    """The params and metrics of `source`, flattened, with an error per unreadable file."""
    values = Values()
    for file, keys in index.params.items():
        if not inside_repo(file):
            values.errors[file] = OUTSIDE
            continue
        for path in _expand(source, file):
            data = source.read(path)
            if data is None:
                values.errors[path] = MISSING
                continue
            try:
                config = _select_keys(parse_file(path, data), keys)
            except UnreadableFile as error:
                values.errors[path] = str(error)
                continue
            values.params[path] = dict(flatten(config)) if isinstance(config, Mapping) else {}
    cached = CachedReader(source, index.outs)
    for metrics_file in index.metrics:
        if not inside_repo(metrics_file.path):
            values.errors[metrics_file.path] = OUTSIDE
            continue
        try:
            blobs = _metrics_files(source, cached, metrics_file.path)
        except OutError as error:
            values.errors[metrics_file.path] = str(error)
            continue
        for path, data in blobs:
            if data is None:
                values.errors[path] = NOT_IN_CACHE
                continue
            try:
                extracted = _metric_values(parse_file(path, data))
            except UnreadableFile as error:
                values.errors[path] = str(error)
                continue
            if isinstance(extracted, Mapping):
                values.metrics[path] = dict(flatten(extracted))
    return values
