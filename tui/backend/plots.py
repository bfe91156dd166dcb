"""Plot definitions of a revision as DVC collects them, and DVCLive's own for the rest.

DVC's rules (dvc/repo/plots/__init__.py, `_collect_pipeline_files`, `_resolve_definitions`,
`_collect_output_plots`, `_id_is_path`, `_adjust_sources`, `unpack_if_dir`):

- top-level `plots:` of every dvc.yaml: a list of a path, or `{id: props}`. When `props.y`
  maps files to fields, `id` is a name and the files are the keys (relative to the dvc.yaml's
  folder), with `x` a field, or `{file: field}`; otherwise `id` is a path. A path that is a
  folder stands for the files inside it, each kept by the most specific path id of that
  dvc.yaml that holds it.
- stage outputs under `plots:` (`path` or `{path: props}`, relative to the stage's `wdir`):
  path ids too, folders unpacked the same way.
- props: `x`, `y` (a field or a list of fields), `template`, `title`, `x_label`, `y_label`.
  No `x` means the row number (DVC calls it `step`); no `y` means the last field.
- an id declared in several dvc.yaml files is shown as `dvc.yaml::id` (`get_plot_id`).
- each dvc.yaml is read after DVC's templating (`pipeline.load_pipeline`): ids, paths and
  `wdir` with `${}` resolved, and `foreach`/`matrix` stages generated.

DVCLive (dvclive/dvc.py `make_dvcyaml`, dvclive/plots/) writes `<dir>/plots/metrics/**.tsv`
(declared `{<dir>/plots/metrics: {x: step}}`), `<dir>/plots/images/`, and sklearn/custom
JSON plots under `<dir>/plots/sklearn|custom/` with their own template and fields. A file of
a DVCLive folder that no definition names gets what DVCLive would have declared for it: its
metrics and images by folder, its JSON plots from what the file holds (a list of
`actual`/`predicted` rows is a confusion matrix; `{"roc": [...]}`, `{"precision_recall":
[...]}`, `{"det": [...]}`, `{"calibration": [...]}` are DVCLive's curves). So a project that
runs DVCLive with `dvcyaml=False`, or declares only some of its plots, loses none of them.

Kinds, for the app: `confusion` for a `confusion`/`confusion_normalized` template, `image`
for an image file, `line` for per-step data (x absent or a step-like field), `curve` for any
other x (ROC, precision-recall...).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tui.backend.index import DVCFILE, Source
from tui.backend.live import IMAGE_SUFFIXES
from tui.backend.pipeline import load_pipeline

PlotKind = Literal["line", "confusion", "curve", "image"]
CONFUSION_TEMPLATES = frozenset({"confusion", "confusion_normalized"})
STEP_FIELDS = frozenset({"step", "epoch", "epochs", "iteration", "iter", "global_step", "batch"})
DEFAULT_LIVE_DIR = "dvclive"
DATA_SUFFIXES = frozenset({".tsv", ".csv", ".json", ".yaml", ".yml"})
_LIVE_SUBFOLDERS = ("metrics", "sklearn", "custom", "images")

# DVCLive's sklearn plots: the key of its JSON file -> (x, y, title) it declares.
DVCLIVE_CURVES = {
    "roc": ("fpr", "tpr", "ROC"),
    "precision_recall": ("recall", "precision", "Precision-Recall"),
    "det": ("fpr", "fnr", "DET"),
    "calibration": ("prob_pred", "prob_true", "Calibration"),
}


@dataclass(frozen=True)
class PlotFile:
    """One data file of a plot and the fields read from it."""

    path: str
    """Repo-relative, posix."""
    x: str | None
    """The x field; None for DVC's default, the row number (or DVCLive's `step` column)."""
    y: tuple[str, ...]
    """The y fields; empty for DVC's default, the last field."""


@dataclass(frozen=True)
class PlotSpec:
    """One plot: what DVC would draw, from one file or (a named plot) several."""

    id: str
    """DVC's plot id: a file's path, or the name of a plot whose `y` names files."""
    kind: PlotKind
    files: tuple[PlotFile, ...]
    template: str | None = None
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    config: str = ""
    """The dvc.yaml that declares it; '' for a stage output's or DVCLive's default."""
    declared: bool = True
    """False for what DVCLive would have declared but nothing did."""

    @property
    def paths(self) -> list[str]:
        """Its data files."""
        return [f.path for f in self.files]


def dvcyaml_documents(source: Source) -> list[tuple[str, Mapping[str, Any]]]:
    """Every dvc.yaml of `source` as DVC reads it, templating resolved (`vars`, `${}`,
    `foreach`, `matrix`: `pipeline.load_pipeline`): (path, `{stages, metrics, plots}`), a
    generated stage under its `name@key`. The one place dvc.yaml is read for plots. A file DVC
    cannot read is left out, as DVC would fail on it rather than guess; so is an empty one,
    which declares nothing to DVC and is what a reader sees of a file being rewritten."""
    documents: list[tuple[str, Mapping[str, Any]]] = []
    for path in source.dvcfiles():
        if posixpath.basename(path) != DVCFILE:
            continue
        data = source.read(path)
        if data is None or not data.strip():
            continue
        pipeline = load_pipeline(source, path, data)
        if pipeline.error is None:
            document = {
                "stages": pipeline.stages, "metrics": pipeline.metrics, "plots": pipeline.plots,
            }  # fmt: skip
            documents.append((path, document))
    return documents


def _entries(value: Any) -> list[Any]:
    # A section that is not a list (a typo, a half-written file) declares nothing.
    return value if isinstance(value, list) else []


def _stages(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    stages = document.get("stages")
    if not isinstance(stages, Mapping):
        return []
    return [stage for stage in stages.values() if isinstance(stage, Mapping)]


def _wdir(folder: str, stage: Mapping[str, Any]) -> str:
    wdir = stage.get("wdir")
    return _join(folder, wdir) if isinstance(wdir, str) else folder


def _join(folder: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder, path)) if folder else path
    return posixpath.normpath(joined)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def _fields(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def _text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return str(value) if isinstance(value, str | int | float) and value != "" else None


def _suffix(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def kind_of(path: str, template: str | None, x: str | None) -> PlotKind:
    """The kind of plot a file with these props makes."""
    if _suffix(path) in IMAGE_SUFFIXES:
        return "image"
    if template in CONFUSION_TEMPLATES:
        return "confusion"
    if x is None or x.lower() in STEP_FIELDS:
        return "line"
    return "curve"


class _Files:
    """What exists in the revision: files, and the files inside a folder (memoised)."""

    def __init__(self, lister: Callable[[str], Iterable[str]]) -> None:
        self._lister = lister
        self._under: dict[str, list[str]] = {}

    def under(self, folder: str) -> list[str]:
        folder = posixpath.normpath(folder)
        if folder not in self._under:
            self._under[folder] = sorted(set(self._lister(folder)))
        return self._under[folder]

    def unpack(self, path: str) -> list[str]:
        """A folder's files, or the path itself (DVC's `unpack_if_dir`)."""
        inside = self.under(path)
        return inside or [path]


def _spec(
    plot_id: str,
    files: tuple[PlotFile, ...],
    props: Mapping[str, Any],
    config: str,
    declared: bool = True,
) -> PlotSpec:
    template = _text(props, "template")
    first = files[0]
    return PlotSpec(
        id=plot_id,
        kind=kind_of(first.path, template, first.x),
        files=files,
        template=template,
        title=_text(props, "title"),
        x_label=_text(props, "x_label"),
        y_label=_text(props, "y_label"),
        config=config,
        declared=declared,
    )


def _path_plots(
    files: _Files, config: str, plot_ids: dict[str, Mapping[str, Any]], config_id: bool
) -> list[PlotSpec]:
    # Path ids: a folder stands for its files, each kept by its most specific id.
    specs = []
    for data_path, props in plot_ids.items():
        for path in files.unpack(data_path):
            if _suffix(path) not in DATA_SUFFIXES | IMAGE_SUFFIXES:
                continue  # a folder with nothing in it yet, or no data file DVC could read
            closest = max((p for p in plot_ids if p == path or _inside(path, p)), key=len)
            if closest != data_path:
                continue
            x = props.get("x") if isinstance(props.get("x"), str) else None
            plot_file = PlotFile(path, x, _fields(props.get("y")))
            specs.append(_spec(path, (plot_file,), props, config if config_id else ""))
    return specs


def _named_plot(config: str, plot_id: str, props: Mapping[str, Any]) -> PlotSpec | None:
    folder = posixpath.dirname(config)
    x_prop = props.get("x")
    x_by_file = (
        {_join(folder, str(k)): str(v) for k, v in x_prop.items()}
        if isinstance(x_prop, Mapping)
        else {}
    )
    # DVC joins an x taken from another file by row number; we take its field name.
    x_any = next(iter(x_by_file.values()), None) if x_by_file else None
    x_all = x_prop if isinstance(x_prop, str) else x_any
    plot_files = tuple(
        PlotFile(path, x_by_file.get(path, x_all), _fields(fields))
        for path, fields in (
            (_join(folder, str(file)), fields) for file, fields in props["y"].items()
        )
    )
    return _spec(plot_id, plot_files, props, config) if plot_files else None


def declared_plots(
    documents: Iterable[tuple[str, Mapping[str, Any]]],
    files_under: Callable[[str], Iterable[str]],
) -> list[PlotSpec]:
    """The plots DVC collects from these dvc.yaml documents (see the module docstring)."""
    files = _Files(files_under)
    specs: list[PlotSpec] = []
    for config, document in documents:
        folder = posixpath.dirname(config)
        path_ids: dict[str, Mapping[str, Any]] = {}
        for entry in _entries(document.get("plots")):
            if isinstance(entry, str):
                path_ids[_join(folder, entry)] = {}
                continue
            if not isinstance(entry, Mapping) or len(entry) != 1:
                continue
            plot_id, props = next(iter(entry.items()))
            props = props if isinstance(props, Mapping) else {}
            if isinstance(props.get("y"), Mapping):
                named = _named_plot(config, str(plot_id), props)
                if named is not None:
                    specs.append(named)
            else:
                path_ids[_join(folder, str(plot_id))] = props
        specs.extend(_path_plots(files, config, path_ids, config_id=True))
        for stage in _stages(document):
            wdir = _wdir(folder, stage)
            outs: dict[str, Mapping[str, Any]] = {}
            for entry in _entries(stage.get("plots")):
                if isinstance(entry, str):
                    outs[_join(wdir, entry)] = {}
                elif isinstance(entry, Mapping) and len(entry) == 1:
                    path, props = next(iter(entry.items()))
                    outs[_join(wdir, str(path))] = props if isinstance(props, Mapping) else {}
            for path, props in outs.items():
                specs.extend(_path_plots(files, config, {path: props}, config_id=False))
    return _qualify_repeated_ids(specs)


def _qualify_repeated_ids(specs: list[PlotSpec]) -> list[PlotSpec]:
    # As `group_definitions_by_id`: an id declared by several dvc.yaml files gets its file.
    configs: dict[str, set[str]] = {}
    for spec in specs:
        configs.setdefault(spec.id, set()).add(spec.config)
    return [
        replace(spec, id=f"{spec.config}::{spec.id}")
        if len(configs[spec.id]) > 1 and spec.config
        else spec
        for spec in specs
    ]


def _metrics_and_outputs(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterable[str]:
    for config, document in documents:
        folder = posixpath.dirname(config)
        for entry in _entries(document.get("metrics")):
            if isinstance(entry, str):
                yield _join(folder, entry)
        for stage in _stages(document):
            wdir = _wdir(folder, stage)
            for entry in [*_entries(stage.get("metrics")), *_entries(stage.get("outs"))]:
                if isinstance(entry, str):
                    yield _join(wdir, entry)
                elif isinstance(entry, Mapping) and len(entry) == 1:
                    yield _join(wdir, str(next(iter(entry))))


def live_folder_of(path: str) -> str | None:
    """The DVCLive folder a path belongs to, by DVCLive's layout (`<dir>/plots/<kind>/...`)."""
    parts = path.split("/")
    for at in range(len(parts) - 2):  # a file inside `<dir>/plots/<kind>/`
        if parts[at] == "plots" and parts[at + 1] in _LIVE_SUBFOLDERS:
            return "/".join(parts[:at])
    return None


def dvclive_folders(
    documents: Iterable[tuple[str, Mapping[str, Any]]],
    specs: Iterable[PlotSpec],
    files_under: Callable[[str], Iterable[str]],
    default: str = DEFAULT_LIVE_DIR,
) -> list[str]:
    """DVCLive folders of a revision: those of plot files laid out as DVCLive lays them, and
    those of its `metrics.json` metrics and of its stage outputs that hold DVCLive's layout;
    `default` when none is found but it holds DVCLive's layout."""
    documents = list(documents)
    found: dict[str, None] = {}
    candidates: list[str] = []
    for path in _metrics_and_outputs(documents):
        if posixpath.basename(path) in ("metrics.json", "plots"):
            candidates.append(posixpath.dirname(path))
        else:
            candidates.append(path)
    for spec in specs:
        for path in spec.paths:
            folder = live_folder_of(path)
            if folder is not None:
                found[folder] = None
    for candidate in [*candidates, default]:
        if candidate in found or candidate in ("", ".") or (candidate == default and found):
            continue
        # Only `<candidate>/plots` is listed: an output may be a dataset of a million files.
        if any(live_folder_of(p) == candidate for p in files_under(f"{candidate}/plots")):
            found[candidate] = None
    return [f for f in found if f]


def dvclive_default(path: str, folder: str, content: Any = None) -> PlotSpec | None:
    """What DVCLive declares for a file of its folder (None if it declares nothing): metrics
    by folder with `x: step`, images by folder, JSON plots by the config DVCLive gives them,
    recognised from `content` (the parsed file)."""
    relative = path[len(folder) + 1 :] if folder else path
    sub = relative.split("/", 2)
    if len(sub) < 3 or sub[0] != "plots":
        return None
    if sub[1] == "metrics" and _suffix(path) in {".tsv", ".csv"}:
        return PlotSpec(path, "line", (PlotFile(path, "step", ()),), declared=False)
    if sub[1] == "images" and _suffix(path) in IMAGE_SUFFIXES:
        return PlotSpec(path, "image", (PlotFile(path, None, ()),), declared=False)
    if sub[1] not in ("sklearn", "custom") or _suffix(path) != ".json":
        return None
    first = content[0] if isinstance(content, list) and content else None
    if isinstance(first, Mapping) and {"actual", "predicted"} <= first.keys():
        return PlotSpec(
                path, "confusion", (PlotFile(path, "actual", ("predicted",)),),
                template="confusion", title="Confusion Matrix", declared=False,
            )  # fmt: skip
    if isinstance(content, Mapping) and len(content) == 1:
        key = next(iter(content))
        known = DVCLIVE_CURVES.get(str(key))
        if known is not None:
            x, y, title = known
            return PlotSpec(
                path, "curve", (PlotFile(path, x, (y,)),),
                template="simple", title=title, declared=False,
            )  # fmt: skip
    return None


@dataclass
class Plots:
    """Every plot of a revision, and the DVCLive folders it has."""

    specs: list[PlotSpec] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def collect_plots(
    documents: list[tuple[str, Mapping[str, Any]]],
    files_under: Callable[[str], Iterable[str]],
    json_of: Callable[[str], Any],
    default_live_dir: str = DEFAULT_LIVE_DIR,
) -> Plots:
    """The declared plots, then DVCLive's defaults for the files of its folders that no
    declaration names (`json_of(path)` gives a JSON plot's parsed content, or None)."""
    files = _Files(files_under)
    specs = declared_plots(documents, files.under)
    folders = dvclive_folders(documents, specs, files.under, default_live_dir)
    named = {path for spec in specs for path in spec.paths}
    for folder in folders:
        for path in files.under(posixpath.join(folder, "plots") if folder else "plots"):
            if path in named:
                continue
            content = json_of(path) if _suffix(path) == ".json" else None
            spec = dvclive_default(path, folder, content)
            if spec is not None:
                specs.append(spec)
    return Plots(specs, folders)


def plots_of(source: Source, default_live_dir: str = DEFAULT_LIVE_DIR) -> Plots:
    """`collect_plots` over a Source (a commit, with `outs.WithOutputs` for its cached
    outputs, or a working tree)."""

    def json_of(path: str) -> Any:
        data = source.read(path)
        try:
            return json.loads(data) if data is not None else None
        except ValueError:
            return None

    return collect_plots(dvcyaml_documents(source), source.files_under, json_of, default_live_dir)
