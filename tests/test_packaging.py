"""The installed command, and the import boundaries that keep the UI process light."""

from __future__ import annotations

from tests.conftest import ROOT, run
from tui import __version__


def test_console_script_prints_version_and_help() -> None:
    done = run(["catdog-tui", "--version"], ROOT)
    assert done.stdout.strip() == f"catdog-tui {__version__}"
    assert run(["catdog-tui", "--help"], ROOT).stdout.startswith("usage: catdog-tui")


def imported_by(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Which of `forbidden` a fresh interpreter has loaded after importing every module of
    `package` (this test process itself has TensorFlow loaded by other tests)."""
    probe = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"for info in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(info.name)\n"
        f"print(','.join(sorted(m for m in {forbidden!r} if m in sys.modules)))\n"
    )
    return [m for m in run(["python", "-c", probe], ROOT).stdout.strip().split(",") if m]


def test_ui_side_never_imports_the_training_stack() -> None:
    assert imported_by("tui", ("tensorflow", "keras", "training")) == []


def test_backend_stays_headless() -> None:
    assert imported_by("tui.backend", ("textual", "plotext", "tensorflow", "training")) == []


def test_the_app_installs_without_tensorflow_and_the_pipeline_with_an_extra() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {req.split("[")[0].split(">")[0].split("=")[0].split("<")[0] for req in requirements}

    core = names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert not core & {"tensorflow", "dvclive", "pydantic"}
    assert {"nvidia-ml-py", "psutil"} <= core, "the app's machine line reads GPUs, CPU and RAM"
    assert {"tensorflow", "dvclive", "pydantic", "pillow", "nvidia-ml-py"} <= names(extras["train"])
    assert "catdog-tui[train]" in extras["gpu"]
    # CI runs the training tests, so it installs the pipeline's extra with the tools.
    assert "-e '.[train,dev]'" in (ROOT / ".ci" / "test").read_text()
    assert "pip install -e '.[train]'" in (ROOT / "README.md").read_text()
