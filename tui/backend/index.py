"""Which files hold a project's params and metrics, by DVC's rules, and their values.

DVC's rules (dvc/repo/params/show.py, dvc/repo/metrics/show.py): params files are those named
by stage `params:` (a bare key means `params.yaml` beside the dvc.yaml; listing keys of a file
tracks only those keys, naming the file alone tracks all of it), by top-level `params:`, and
`params.yaml` at the root whenever it exists. Metrics files are stage outputs under `metrics:`
and top-level `metrics:` entries; folders stand for the files inside them. A metrics output
and top-level entries inside a cached output are not in git: their content is found in DVC's
cache through `dvc.lock` (see outs.py). Each dvc.yaml is read as DVC reads it, templating
included (see pipeline.py); values that a stage interpolates from a vars file that is not a
params file show as params of that file.

A Source hides whether files come from a commit or from the working tree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.backend.formats import (
    UnreadableFile,
    flatten,
    jsonable,
    parse_file_shared,
    unencodable,
)
from tui.backend.outs import (
    MISSING,
    NOT_IN_CACHE,
    OUTSIDE,
    CachedOut,
    CachedReader,
    OutError,
    inside_repo,
)
from tui.backend.pipeline import DEFAULT_PARAMS as DEFAULT_PARAMS
from tui.backend.pipeline import DVCFILE as DVCFILE
from tui.backend.pipeline import LOCKFILE as LOCKFILE
from tui.backend.pipeline import load_pipeline
from tui.backend.values import Values as Values


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
    tracked_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Vars file to the values stages interpolate from it."""
    inputs: set[str] = field(default_factory=set)
    """Every path whose content this index depends on."""
    error: str | None = None
    """Why DVC cannot read this revision's pipelines: it then shows nothing else."""


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


def _single_outs(entries: Any) -> list[Any]:
    # DVC allows several outputs in one mapping (`- a.json: {...}` then `  b.json: {...}`).
    singles: list[Any] = []
    for entry in entries or []:
        if isinstance(entry, Mapping):
            singles.extend({path: options} for path, options in entry.items())
        else:
            singles.append(entry)
    return singles


def _stage_outs(index: ProjectIndex, dvcfile: str, name: str, wdir: str, stage: Any) -> None:
    lockfile = _join(posixpath.dirname(dvcfile), LOCKFILE)
    for kind in ("outs", "metrics", "plots"):
        entries = stage.get(kind)
        for single in _single_outs(entries if isinstance(entries, list) else []):
            out = _out_path(single)
            if out is not None and out[1]:
                index.outs.append(CachedOut(_join(wdir, out[0]), lockfile, name, wdir))


def build_index(source: Source) -> ProjectIndex:
    """Read every dvc.yaml of `source` and collect its params and metrics files."""
    index = ProjectIndex()
    metrics: dict[str, MetricsFile] = {}
    for dvcfile in source.dvcfiles():
        folder = posixpath.dirname(dvcfile)
        pipeline = load_pipeline(source, dvcfile)
        index.inputs |= pipeline.inputs
        if pipeline.error is not None:
            # DVC stops at the first dvc.yaml it cannot read, and the revision shows only that.
            index.error = pipeline.error
            return index
        for stage_name, stage in pipeline.stages.items():
            if not isinstance(stage, Mapping):
                continue
            wdir = _join(folder, str(stage.get("wdir") or "."))
            _stage_params(index.params, wdir, stage.get("params"))
            _stage_outs(index, dvcfile, str(stage_name), wdir, stage)
            for entry in _single_outs(stage.get("metrics")):
                out = _out_path(entry)
                if out is not None:
                    path = _join(wdir, out[0])
                    metrics[path] = MetricsFile(path)
        for file in pipeline.params:
            if isinstance(file, str):
                _track(index.params, _join(folder, file), None)
        for entry in pipeline.metrics:
            if isinstance(entry, str):
                path = _join(folder, entry)
                metrics.setdefault(path, MetricsFile(path))
        for file, tracked in pipeline.tracked_vars.items():
            index.tracked_vars.setdefault(file, {}).update(tracked)
    index.inputs.add(DEFAULT_PARAMS)
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


def read_values(source: Source, index: ProjectIndex, commit: bool = False) -> Values:
    """The params and metrics of `source`, flattened, with an error per unreadable file.

    `commit`: `source` is a commit, which `dvc exp show` stores in its cache as JSON first: a
    date among its params fails that, and with it the row (unless a file failed already).
    """
    if index.error is not None:
        return Values(error=index.error)
    values = Values()
    refused: str | None = None
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
                config = _select_keys(parse_file_shared(path, data), keys)
            except UnreadableFile as error:
                values.errors[path] = str(error)
                continue
            refused = refused or unencodable(config)
            values.params[path] = {key: jsonable(value) for key, value in flatten(config)}
    for file, tracked in index.tracked_vars.items():
        # As DVC's _collect_vars: only for files not read as params already.
        if file not in values.params and file not in values.errors:
            values.params[file] = {key: jsonable(value) for key, value in flatten(tracked)}
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
                extracted = _metric_values(parse_file_shared(path, data))
            except UnreadableFile as error:
                values.errors[path] = str(error)
                continue
            # As DVC's _read_metric: nothing numeric is an empty mapping, a bare number stays.
            values.metrics[path] = dict(flatten(extracted or {}))
    if commit and refused and not values.errors:
        return Values(error=f"TypeError: Object of type {refused} is not JSON serializable")
    return values
