"""What one dvc.yaml declares (stages, params, metrics, plots), read by DVC's own rules.

DVC reads every dvc.yaml through its templating (`dvc.parsing.DataResolver`): the params.yaml
beside it is loaded as variables even when nothing uses them, `vars`, `${...}`, `foreach` and
`matrix` are resolved, and the file and its dvc.lock are checked against DVC's schema. Any
failure fails the whole revision in `dvc exp show` (a row with an error and no data).

Importing that machinery costs more than a whole listing, so most files never reach it: a
dvc.yaml with no templating, whose shape DVC's schema surely accepts, beside a params.yaml and
a dvc.lock that surely load, is read here directly. Everything else (templating, and anything
unusual, errors included) goes through DVC's own code, imported then, and its outcome is kept
for as long as the files it read are unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.backend.formats import UnreadableFile, parse_file_shared

DVCFILE = "dvc.yaml"
LOCKFILE = "dvc.lock"
DEFAULT_PARAMS = "params.yaml"
_TEMPLATING = frozenset({"vars", "foreach", "matrix", "do"})  # stage keys; `vars` at the top too


class Files(Protocol):
    """The part of a Source this module reads."""

    def read(self, path: str) -> bytes | None:
        """A file's bytes, or None if there is no such file."""

    def files_under(self, folder: str) -> list[str]:
        """The files inside `folder` (repo-relative, posix)."""


@dataclass(frozen=True)
class Pipeline:
    """One dvc.yaml after DVC's templating."""

    stages: Mapping[str, Any] = field(default_factory=dict)
    """Stage name (`name@key` for generated ones) to its resolved definition."""
    params: list[Any] = field(default_factory=list)
    """Top-level `params:` entries."""
    metrics: list[Any] = field(default_factory=list)
    """Top-level `metrics:` entries."""
    plots: list[Any] = field(default_factory=list)
    """Top-level `plots:` entries (a path, or `{id: props}`)."""
    tracked_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Vars file to the values interpolated from it ({dotted key: value}), as DVC tracks them."""
    inputs: frozenset[str] = frozenset()
    """Every repo-relative path whose content decided this."""
    error: str | None = None
    """Why DVC cannot read this file (then the whole revision shows only this error)."""


def load_pipeline(files: Files, path: str, data: bytes | None = None) -> Pipeline:
    """The pipeline of the dvc.yaml at `path`; `data`, its bytes when the caller has read them
    already (so that both see the same content of a file being rewritten)."""
    data = files.read(path) if data is None else data
    if data is None:
        return Pipeline(inputs=frozenset({path}))
    plain = _plain(files, path, data)
    return plain if plain is not None else _resolved(files, path, data)


# --- the plain case, without DVC --------------------------------------------------------------


def _plain(files: Files, path: str, data: bytes) -> Pipeline | None:
    if b"${" in data:
        return None
    contents = _yaml(path, data)
    if not isinstance(contents, dict) or _templated(contents) or not _TOP(contents):
        return None
    folder = posixpath.dirname(path)
    params_path, lock_path = _join(folder, DEFAULT_PARAMS), _join(folder, LOCKFILE)
    params = files.read(params_path)
    if params is not None and not _vars_safe(_yaml(params_path, params)):
        return None
    lock = files.read(lock_path)
    if lock is not None and not _lock_ok(_yaml(lock_path, lock)):
        return None
    return Pipeline(
        stages=contents.get("stages") or {},
        params=contents.get("params") or [],
        metrics=contents.get("metrics") or [],
        plots=contents.get("plots") or [],
        inputs=frozenset({path, params_path, lock_path}),
    )


def _templated(contents: dict[str, Any]) -> bool:
    stages = contents.get("stages")
    return "vars" in contents or (
        isinstance(stages, dict)
        and any(isinstance(s, dict) and _TEMPLATING & s.keys() for s in stages.values())
    )


class _Unparsable:
    """Marks a file that does not parse (None is a valid document)."""


def _yaml(path: str, data: bytes) -> Any:
    # YAML whatever the name (dvc.lock), empty as {}: as DVC's strictyaml.load.
    try:
        return parse_file_shared(path if path.endswith(".yaml") else f"{path}.yaml", data)
    except UnreadableFile:
        return _Unparsable


def _vars_safe(value: Any, top: bool = True) -> bool:
    # What DVC's templating Context accepts without a word (dvc/parsing/context.py).
    if top and not isinstance(value, dict):
        return False
    if value is None or isinstance(value, int | float | str | bytes):
        return True
    if isinstance(value, list):
        return all(_vars_safe(item, False) for item in value)
    if isinstance(value, dict):
        return all(_vars_safe(item, False) for item in value.values())
    return False


# A conservative copy of DVC's schema (dvc/schema.py): what passes here, DVC's schema and stage
# loader accept; what does not is checked by DVC itself. It accepts templated shapes too, as
# DVC validates a dvc.yaml before resolving it.

Check = Callable[[Any], bool]


def _is(kind: type | tuple[type, ...]) -> Check:
    return lambda value: isinstance(value, kind)


def _any(_: Any) -> bool:
    return True


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _list_of(*checks: Check) -> Check:
    return lambda value: (
        isinstance(value, list) and all(any(check(item) for check in checks) for item in value)
    )


def _mapping(checks: Mapping[str, Check], required: tuple[str, ...] = ()) -> Check:
    def check(value: Any) -> bool:
        return (
            isinstance(value, dict)
            and all(key in value for key in required)
            and all(key in checks and checks[key](item) for key, item in value.items())
        )

    return check


def _str_keys_to(check: Check, nonempty: bool = False) -> Check:
    return lambda value: (
        isinstance(value, dict)
        and (bool(value) or not nonempty)
        and all(isinstance(key, str) and check(item) for key, item in value.items())
    )


_ANNOTATION: dict[str, Check] = {
    "desc": _is(str), "type": _is(str), "labels": _str_list, "meta": _any,
}  # fmt: skip
_OUT_FLAGS = _mapping({
    **_ANNOTATION, "cache": _is(bool), "persist": _is(bool), "checkpoint": _is(bool),
    "remote": _is(str), "push": _is(bool),
})  # fmt: skip
_PLOT_FLAGS = _mapping({
    **_ANNOTATION, "cache": _is(bool), "persist": _is(bool), "checkpoint": _is(bool),
    "remote": _is(str), "push": _is(bool), "template": _is(str), "x": _is(str), "y": _is(str),
    "x_label": _is(str), "y_label": _is(str), "title": _is(str), "header": _is(bool),
})  # fmt: skip
_PARAMS_ENTRY = _str_keys_to(lambda keys: keys is None or _str_list(keys))
_STAGE = _mapping(
    {
        "cmd": _is((str, list)),
        "wdir": _is(str),
        "deps": _str_list,
        "params": _list_of(_is(str), _PARAMS_ENTRY),
        "vars": _list_of(_is(str), _is(dict)),
        "frozen": _is(bool),
        "meta": _any,
        "desc": _is(str),
        "always_changed": _is(bool),
        "outs": _list_of(_is(str), _str_keys_to(_OUT_FLAGS)),
        "metrics": _list_of(_is(str), _str_keys_to(_OUT_FLAGS)),
        "plots": _list_of(_is(str), _str_keys_to(_PLOT_FLAGS)),
        "matrix": _str_keys_to(_is((str, list))),
    },
    required=("cmd",),
)
_FOREACH = _mapping({"foreach": _is((dict, list, str)), "do": _STAGE}, ("foreach", "do"))
_PLOT_DEFINITION = _mapping({
    "x": lambda x: isinstance(x, str) or _str_keys_to(_is(str))(x),
    "y": lambda y: isinstance(y, str) or _str_list(y)
    or _str_keys_to(lambda v: isinstance(v, str) or _str_list(v))(y),
    "x_label": _is(str), "y_label": _is(str), "title": _is(str), "template": _is(str),
})  # fmt: skip
_TOP = _mapping({
    "stages": _str_keys_to(lambda s: (_FOREACH if {"foreach", "do"} & s.keys() else _STAGE)(s)
                           if isinstance(s, dict) else False),
    "vars": _list_of(_is(str), _is(dict)),
    "params": _str_list,
    "metrics": _str_list,
    "plots": _list_of(_is(str), _str_keys_to(lambda d: d is None or _PLOT_DEFINITION(d), True)),
    "artifacts": _str_keys_to(_mapping({**_ANNOTATION, "path": _is(str)}, ("path",))),
    "datasets": _any,
})  # fmt: skip


def _checksum(value: Any) -> bool:
    # DVC's CHECKSUM_SCHEMA: nothing, empty, or at least three characters.
    return value is None or (isinstance(value, str) and len(value) not in (1, 2))


_LOCK_ENTRY = _mapping(
    {"path": _is(str), "md5": _checksum, "hash": _is(str), "size": _is(int),
     "nfiles": _is(int), "isexec": _is(bool)},
    ("path",),
)  # fmt: skip
_LOCK_STAGE = _mapping(
    {"cmd": _is((str, list)), "deps": _list_of(_LOCK_ENTRY), "outs": _list_of(_LOCK_ENTRY),
     "params": _str_keys_to(_str_keys_to(_any))},
    ("cmd",),
)  # fmt: skip
_LOCK = _mapping(
    {
        "schema": lambda version: version == "2.0",
        "stages": _str_keys_to(_LOCK_STAGE),
        "datasets": _any,
    },
    ("schema",),
)


def _lock_ok(lock: Any) -> bool:
    return _LOCK(lock)


# --- everything else, by DVC's own code -------------------------------------------------------


class _SourceFS:
    """The filesystem interface DVC's templating and loaders use, over a Source; paths are
    repo-relative and never leave the repository."""

    sep = "/"

    def __init__(self, files: Files) -> None:
        self.files = files
        self.read_paths: set[str] = set()
        self._data: dict[str, bytes | None] = {}

    def _read(self, path: str) -> bytes | None:
        path = self.normpath(path)
        self.read_paths.add(path)
        if path not in self._data:
            self._data[path] = _read_inside(self.files, path)
        return self._data[path]

    def join(self, *parts: str) -> str:
        return posixpath.join(*parts)

    def normpath(self, path: str) -> str:
        return posixpath.normpath(path)

    def relpath(self, path: str, start: str | None = None) -> str:
        return posixpath.relpath(path, start) if start else path

    def parent(self, path: str) -> str:
        return posixpath.dirname(path)

    def suffix(self, path: str) -> str:
        return posixpath.splitext(path)[1]

    def isdir(self, path: str) -> bool:
        return self._read(path) is None and bool(self.files.files_under(self.normpath(path)))

    def isfile(self, path: str) -> bool:
        return self._read(path) is not None

    def exists(self, path: str) -> bool:
        return self.isfile(path) or self.isdir(path)

    def open(self, path: str, mode: str = "r", encoding: str | None = None) -> io.IOBase:
        data = self._read(path)
        if data is None:
            raise FileNotFoundError(2, "No such file or directory", path)
        if "b" in mode:
            return io.BytesIO(data)
        # Decoding on read, as open() does: DVC reports a bad encoding from there.
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding or "utf-8")


@dataclass
class _Repo:
    """What DataResolver asks of a Repo."""

    fs: _SourceFS
    config: dict[str, Any] = field(default_factory=dict)


def _dvc_load(fs: _SourceFS, path: str, data: bytes, shape_ok: Check, schema: str) -> Any:
    """A YAML file as `dvc.utils.strictyaml.load` gives it, DVC's schema checked only when ours
    is not sure (the schema module is the costliest import of all)."""
    contents = _yaml(path, data)
    if contents is not _Unparsable and shape_ok(contents):
        return copy.deepcopy(contents)  # parses are shared; DVC's code is not ours to trust
    import dvc.schema
    from dvc.utils.strictyaml import load

    return load(path, getattr(dvc.schema, schema), fs)[0]


def _check_stage(stage: Mapping[str, Any]) -> None:
    # What DVC's stage loader refuses after templating (dvc/dependency, dvc/output).
    if _STAGE(stage):
        return
    from dvc.dependency import _merge_params
    from dvc.output import _merge_data

    _merge_params(stage.get("params") or [])
    for key in ("outs", "metrics", "plots"):
        _merge_data(stage.get(key) or [])


def _read_inside(files: Files, path: str) -> bytes | None:
    # A vars file may name any path; nothing outside the repository is read.
    outside = path.startswith(("/", "../")) or path == ".."
    return None if outside else files.read(path)


_dvc_ready = False


def _prepare_dvc() -> None:
    """What DVC's CLI sets up before its templating runs: the TRACE level its modules log at
    (logger.trace), and a handler so that its warnings never reach our terminal."""
    global _dvc_ready
    if not _dvc_ready:
        from dvc.logger import add_logging_level

        add_logging_level("TRACE", logging.DEBUG - 5)
        logging.getLogger("dvc").addHandler(logging.NullHandler())
        _dvc_ready = True


def _resolve(fs: _SourceFS, path: str, data: bytes) -> Pipeline:
    _prepare_dvc()
    from dvc.parsing import DataResolver

    folder = posixpath.dirname(path)
    contents = _dvc_load(fs, path, data, _TOP, "COMPILED_MULTI_STAGE_SCHEMA") or {}
    lock_path = _join(folder, LOCKFILE)
    lock = fs._read(lock_path)
    if lock is not None:
        _dvc_load(fs, lock_path, lock, _LOCK, "COMPILED_LOCKFILE_SCHEMA")
    # As DVC's Index.from_file: every stage, then every top-level section.
    resolver = DataResolver(_Repo(fs), folder, contents)
    stages: dict[str, Any] = {}
    for name in resolver.get_keys():
        stage = resolver.resolve_one(name)[name]
        _check_stage(stage)
        stages[name] = stage
    resolver.resolve_artifacts()
    metrics, params = resolver.resolve_metrics(), resolver.resolve_params()
    plots = resolver.resolve_plots()
    resolver.resolve_datasets()
    tracked: dict[str, dict[str, Any]] = {}
    for by_file in resolver.tracked_vars.values():
        for file, values in by_file.items():
            tracked.setdefault(posixpath.normpath(file), {}).update(values)
    inputs = frozenset(fs.read_paths | {path})
    return Pipeline(stages, params, metrics, plots, tracked, inputs)


_Key = tuple[str, bytes]
_resolved_cache: dict[_Key, list[tuple[tuple[tuple[str, bytes | None], ...], Pipeline]]] = {}
_CACHE_LIMIT = 512


def _digest(data: bytes | None) -> bytes | None:
    return hashlib.blake2b(data, digest_size=16).digest() if data is not None else None


def _resolved(files: Files, path: str, data: bytes) -> Pipeline:
    """DVC's reading of the file, kept while every file it read is unchanged."""
    key = (path, _digest(data) or b"")
    for inputs, pipeline in _resolved_cache.get(key, []):
        if all(_digest(_read_inside(files, p)) == digest for p, digest in inputs):
            return pipeline
    fs = _SourceFS(files)
    fs._data[path] = data
    try:
        pipeline = _resolve(fs, path, data)
    except Exception as error:  # as `dvc exp show`: any failure is the row's error
        pipeline = Pipeline(inputs=frozenset(fs.read_paths | {path}), error=_describe(error))
    inputs = tuple((p, _digest(fs._data.get(p))) for p in sorted(pipeline.inputs - {path}))
    if sum(len(entries) for entries in _resolved_cache.values()) >= _CACHE_LIMIT:
        _resolved_cache.clear()
    _resolved_cache.setdefault(key, []).append((inputs, pipeline))
    return pipeline


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name
